"""Flash and RAM budgets: the tightest of target, model and command line wins, and says where
it came from. Going over in a build: tests/integration/test_budgets_build.py."""

import pytest

from nnbuild import budgets
from nnbuild.errors import UserError
from nnbuild.targets import load_target


@pytest.mark.parametrize("text, value", [("65536", 65536), ("64K", 65536), ("64KiB", 65536),
                                         ("1M", 1 << 20), (" 2 kb ", 2048), ("2G", 2 << 30)])
def test_parse_bytes(text, value):
    assert budgets.parse_bytes(text, "flash_budget") == value


def test_parse_bytes_rejects_nonsense():
    with pytest.raises(UserError, match="flash_budget=lots"):
        budgets.parse_bytes("lots", "flash_budget")


def test_tightest_budget_wins_and_says_where_it_came_from():
    target = load_target("cortex-m55")
    result = budgets.effective_budgets(target, "m", {"budget": {"flash": "256K"}}, {"ram_budget": "64K"})
    assert result["flash"] == {"bytes": 256 * 1024, "from": "the model's model.toml"}
    assert result["ram"] == {"bytes": 64 * 1024, "from": "ram_budget=64K"}
    loose = budgets.effective_budgets(target, "m", {}, {"flash_budget": "8M"})
    assert loose["flash"] == {"bytes": 6656 * 1024, "from": "target cortex-m55"}

