"""How `make test` gets Chromium for the browser tests on a machine that lacks it."""

from devstack.chromium import plan


def test_nothing_is_done_when_chromium_is_there() -> None:
    decided = plan(installed=True, is_root=False, has_apt=True, package_known=False)
    assert decided.commands == ()
    assert decided.stop_with is None


def test_root_installs_the_package_when_apt_knows_it() -> None:
    decided = plan(installed=False, is_root=True, has_apt=True, package_known=True)
    assert [c[:2] for c in decided.commands] == [("apt-get", "install")]
    assert "chromium" in decided.commands[-1]


def test_root_refreshes_the_package_lists_first_when_apt_does_not_know_it() -> None:
    decided = plan(installed=False, is_root=True, has_apt=True, package_known=False)
    assert [c[:2] for c in decided.commands] == [("apt-get", "update"), ("apt-get", "install")]


def test_anyone_else_is_stopped_at_once_with_one_line_saying_what_to_run() -> None:
    decided = plan(installed=False, is_root=False, has_apt=True, package_known=True)
    assert decided.commands == ()
    assert decided.stop_with is not None
    assert "\n" not in decided.stop_with
    assert "sudo apt-get install -y chromium" in decided.stop_with
