"""The project index's module lookup: an import's dotted name, in a project whose root is above
its packages, means the candidate nearest the importing module."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ownership_lint.analysis.project import ProjectIndex

COMPONENTS = st.sampled_from(["app", "api", "backend", "models", "routes", "svc", "x"])
DOTTED = st.lists(COMPONENTS, min_size=1, max_size=4).map(".".join)


def index_of(tmp_path: Path, modules: list[str]) -> ProjectIndex:
    return ProjectIndex(tmp_path, [tmp_path / (name.replace(".", "/") + ".py") for name in modules])


def nearest_by_scan(modules: list[str], dotted: str, near: str) -> str | None:
    """The rule, written as a scan of every module."""
    if dotted in modules:
        return dotted
    matches = [name for name in modules if name.endswith("." + dotted)]
    if not matches:
        return None

    def shared(name: str) -> int:
        count = 0
        for left, right in zip(name.split("."), near.split(".")):
            if left != right:
                break
            count += 1
        return count

    return min(matches, key=lambda name: (-shared(name), len(name), name))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(modules=st.lists(DOTTED, min_size=1, max_size=30, unique=True), dotted=DOTTED, near=DOTTED)
def test_the_nearest_candidate_is_the_one_a_scan_of_every_module_finds(
    tmp_path_factory, modules: list[str], dotted: str, near: str
) -> None:
    index = index_of(tmp_path_factory.mktemp("project"), modules)
    assert index.find_module_name(dotted, near) == nearest_by_scan(modules, dotted, near)


def test_an_import_means_the_package_of_its_own_service(tmp_path: Path) -> None:
    services = [f"services.svc{number:03}.app.models" for number in range(300)]
    index = index_of(tmp_path, [*services, "services.svc042.app.api.routes"])
    assert index.find_module_name("app.models", "services.svc042.app.api.routes") == "services.svc042.app.models"
    assert index.find_module_name("app.models", "elsewhere") == "services.svc000.app.models"


def test_a_module_added_later_is_a_candidate(tmp_path: Path) -> None:
    index = index_of(tmp_path, ["backend.app.models"])
    assert index.find_module_name("app.models", "worker.app.routes") == "backend.app.models"
    index.set_source(tmp_path / "worker" / "app" / "models.py", "")
    assert index.find_module_name("app.models", "worker.app.routes") == "worker.app.models"
