"""analyze / slices / simulate as dicts (the CLI's --json, through the bundled binary)."""
import json
import os

import pytest

import tensorpress as tp


def test_cli_is_bundled_with_the_package():
    path = tp.cli_path()
    assert os.access(path, os.X_OK)
    assert "tensorpress" in tp.run_cli("--version").stdout


def test_slices_dict_matches_the_cli_json(mnist_cnn, mnist_acts):
    report = tp.slices(mnist_cnn, mnist_acts)
    direct = json.loads(tp.run_cli("slices", mnist_cnn, "--activations", mnist_acts, "--json").stdout)
    assert report == direct
    by_layer = {row["layer"]: row for row in report["layers"]}
    # dense_2 as W (10 outputs x 128 inputs) times X (128 x 64 digits), the shared README's shapes.
    dense2 = next(row for name, row in by_layer.items() if "dense_2" in name)
    assert (dense2["m"], dense2["k"], dense2["n"]) == (10, 128, 64)
    for row in report["layers"]:
        assert 0.0 <= row["mac_reduction"] <= 1.0
        assert set(row["activations"]) == {"asym", "zpm", "zpm_dbs", "sibia"}


def test_slices_options_reach_the_cli(mnist_cnn, mnist_acts):
    a = tp.slices(mnist_cnn, mnist_acts, weight_bits=4)
    b = tp.slices(mnist_cnn, mnist_acts, weight_bits=10)
    assert a["layers"][0]["activations"]["zpm_dbs"]["dense_multiplies"] < \
        b["layers"][0]["activations"]["zpm_dbs"]["dense_multiplies"]


def test_simulate_dict(mnist_cnn, mnist_acts):
    report = tp.simulate(mnist_cnn, mnist_acts, arch=["sa-ws", "panacea"])
    assert [a["name"] for a in report["architectures"]] == ["sa-ws", "panacea"]
    assert len(report["layers"]) == 4


def test_analyze_dict(mnist_cnn):
    report = tp.analyze(mnist_cnn, codec=["zstd-3"], tensor=["*dense_2*"])
    names = [t["name"] for t in report["tensors"]]
    assert names and all("dense_2" in n for n in names)


def test_cli_failure_raises_with_its_message(tmp_path):
    with pytest.raises(tp.CliError) as e:
        tp.analyze(tmp_path / "absent.safetensors")
    assert e.value.exit_code == 2
    assert "absent.safetensors" in str(e.value) and "\n" not in str(e.value)
