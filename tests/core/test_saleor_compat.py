"""Which Saleor versions the plugin runs on (answered without Saleor)."""

import pytest

from saleor_storecredit.saleor_compat import parse_version, unsupported_reason


@pytest.mark.parametrize("version", ["3.23.0", "3.23.28", "3.24.0-a.0", "4.0.0"])
def test_supported_versions_run(version):
    assert unsupported_reason(version) is None


@pytest.mark.parametrize("version", ["3.21.40", "3.22.67", "3.22.0-a.1", "2.11.0"])
def test_older_versions_are_refused_with_the_reason(version):
    reason = unsupported_reason(version)
    assert reason.startswith("Store credit is off")
    assert f"Saleor {version}" in reason
    assert "3.23 and newer" in reason


def test_an_unreadable_version_is_refused():
    assert "cannot be read" in unsupported_reason("dev")
    assert parse_version("dev") is None


def test_without_saleor_nothing_is_refused(monkeypatch):
    """The bare ledger (this suite) runs with no Saleor at all."""
    monkeypatch.setattr("saleor_storecredit.saleor_compat.saleor_version", lambda: None)
    assert unsupported_reason() is None
