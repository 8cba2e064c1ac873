"""The conda environment and pyproject.toml name the same packages."""

import re
import tomllib

import yaml

from tests.conftest import ROOT


def package_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_pyproject_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {package_name(r) for r in project["dependencies"]}
    declared |= {package_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {package_name(d) for d in environment["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == declared
    pip_section = [d for d in environment["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert pip_section == ["-e ."]
    assert environment["channels"][:2] == ["conda-forge", "bioconda"]


def test_lower_bounds_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {package_name(d): d.replace(" ", "") for d in environment["dependencies"] if isinstance(d, str)}
    for requirement in requirements:
        assert ">=" in requirement, requirement
        assert conda[package_name(requirement)] == requirement.replace(" ", ""), requirement
