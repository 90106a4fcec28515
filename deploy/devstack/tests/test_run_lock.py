"""`make run` twice: the second one says so and does not start a second stack."""

import os

import pytest

from devstack.__main__ import AlreadyRunning, _lock


def test_a_second_run_on_the_same_state_folder_is_refused_with_the_first_ones_pid(tmp_path):
    fd = _lock(tmp_path)
    try:
        with pytest.raises(AlreadyRunning, match=rf"already running \(process {os.getpid()}\)"):
            _lock(tmp_path)
    finally:
        os.close(fd)
    os.close(_lock(tmp_path))  # free again once the first one has stopped
