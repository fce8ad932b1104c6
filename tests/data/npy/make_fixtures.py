#!/usr/bin/env python3
"""Writes the npy/npz fixtures in this folder with real NumPy (run once, by hand:
`python3 make_fixtures.py` in a venv with numpy installed). The C++ tests
(src/io/npy_test.cc) check the values the reader gets against the same
literal arrays, and that WriteNpy reproduces np.save's bytes exactly."""
import os
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def arrays():
    """One small array per dtype numpy can save and tensorpress can read."""
    return {
        "f8": np.array([[-1.5, 0.0, 2.25], [1e300, -1e-300, 3.0]], dtype="<f8"),
        "f4": np.array([[1.0, -2.5, 3.25], [0.0, 1e-7, -65504.0]], dtype="<f4"),
        "f2": np.array([1.0, -2.0, 0.5, 65504.0], dtype="<f2"),
        "i8": np.array([-(2**63), -1, 0, 2**63 - 1], dtype="<i8"),
        "i4": np.array([[-(2**31), -7], [0, 2**31 - 1]], dtype="<i4"),
        "i2": np.array([-32768, -1, 1, 32767], dtype="<i2"),
        "i1": np.array([-128, -1, 0, 127], dtype="|i1"),
        "u8": np.array([0, 1, 2**64 - 1], dtype="<u8"),
        "u4": np.array([0, 7, 2**32 - 1], dtype="<u4"),
        "u2": np.array([0, 300, 65535], dtype="<u2"),
        "u1": np.array([[0, 1, 2], [253, 254, 255]], dtype="|u1"),
        "b1": np.array([True, False, True, True, False], dtype="|b1"),
    }


def main():
    a = arrays()
    # Single-array files: a 2-d f4, a 0-d scalar, an empty array, a
    # Fortran-ordered 1-d array (same bytes as C order), and 3-d u1.
    np.save(os.path.join(HERE, "f4_2x3.npy"), a["f4"])
    np.save(os.path.join(HERE, "scalar_f8.npy"), np.array(3.5, dtype="<f8"))
    np.save(os.path.join(HERE, "empty_i4.npy"), np.zeros((0, 3), dtype="<i4"))
    # np.save writes a 1-d array with fortran_order False (it is also C
    # contiguous), so write the header explicitly to get fortran_order True.
    with open(os.path.join(HERE, "fortran_1d.npy"), "wb") as f:
        fortran_1d = np.array([1, 2, 3], dtype="<i2")
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<i2", "fortran_order": True, "shape": (3,)})
        f.write(fortran_1d.tobytes())
    np.save(os.path.join(HERE, "u1_2x2x3.npy"), np.arange(12, dtype="|u1").reshape(2, 2, 3))
    # The same arrays in format 2.0 (u32 header length).
    with open(os.path.join(HERE, "v2_i8.npy"), "wb") as f:
        np.lib.format.write_array(f, a["i8"], version=(2, 0))
    # A Fortran-ordered 2-d array, which tensorpress refuses.
    np.save(os.path.join(HERE, "fortran_2x3.npy"), np.asfortranarray(a["f4"]))
    # A big-endian array, which tensorpress refuses.
    np.save(os.path.join(HERE, "big_endian_i4.npy"), np.array([1, 2], dtype=">i4"))
    # Archives: every dtype stored, and deflated.
    np.savez(os.path.join(HERE, "all_dtypes.npz"), **a)
    np.savez_compressed(os.path.join(HERE, "all_dtypes_deflated.npz"), **a)
    # Python's zipfile switches to ZIP64 records (ZIP64 end of central
    # directory, ZIP64 extra fields in the central directory) past
    # ZIP64_LIMIT; lowering the limit makes a small archive that uses them.
    saved = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 64
    try:
        np.savez(os.path.join(HERE, "zip64.npz"), first=a["f4"], second=a["i2"])
    finally:
        zipfile.ZIP64_LIMIT = saved


if __name__ == "__main__":
    main()
