"""One environment, three files in step: pyproject.toml names the packages, requirements.lock pins the
exact version of every package (what `make run` and `make test` install), environment.yml pins the
same versions for conda users; and the running environment is the locked one."""

import importlib.metadata
import re
import tomllib

import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

from tests.conftest import ROOT


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> list[Requirement]:
    """pyproject's dependencies and its test extra (what the lock resolves)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def locked() -> dict[str, str]:
    """Package → pinned version, for the lines of the lock whose marker holds here."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        name, _, rest = requirement.partition("==")
        version, _, marker = rest.partition(";")
        assert name and version, f"not an exact pin: {line}"
        if not marker.strip() or Marker(marker.strip()).evaluate():
            pins[canonical(name)] = version.strip()
    return pins


def test_the_lock_pins_every_declared_package_within_its_declared_range():
    pins = locked()
    for requirement in declared():
        name = canonical(requirement.name)
        assert name in pins, f"{name} is declared in pyproject.toml but not locked: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, str(requirement.specifier),
                                                                             pins[name])


def test_environment_yml_pins_the_locked_versions_of_the_declared_packages():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pinned = dict(d.split("==", 1) for d in conda if "==" in d)
    assert sorted(canonical(name) for name in pinned) == sorted(canonical(r.name) for r in declared())
    pins = locked()
    assert {canonical(name): version for name, version in pinned.items()} == {
        canonical(r.name): pins[canonical(r.name)] for r in declared()}
    assert set(conda) - {f"{name}=={version}" for name, version in pinned.items()} == {"python>=3.11", "pip"}
    pip_section = [d for d in environment["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert pip_section == ["-e ."]
    assert environment["channels"][:2] == ["conda-forge", "bioconda"]


def test_the_running_environment_is_the_locked_one():
    """`make test` installs from the lock: every locked package is installed at its locked version."""
    differing = {}
    for name, version in locked().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differing[name] = (version, installed)
    assert differing == {}, "installed versions differ from requirements.lock (locked, installed)"
