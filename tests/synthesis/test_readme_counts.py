"""The README's resource counts are a synthesis of every environment, never typed in."""

from __future__ import annotations

from mlplat.readme import COUNTS_BEGIN, COUNTS_END, README, synth_counts


def test_the_readme_counts_are_todays_synthesis():
    text = README.read_text()
    block = text.split(COUNTS_BEGIN, 1)[1].split(COUNTS_END, 1)[0].strip()
    assert block == synth_counts(), "run `python -m mlplat.readme`"
    assert block.splitlines()[-1].startswith("| total | ")
