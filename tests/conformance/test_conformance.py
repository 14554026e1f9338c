"""Every example of the corpus, one test each: the fake must answer as the vendor recorded, except for the
divergences the example accepts (each in the README), and each accepted divergence must still occur."""

from __future__ import annotations

import pytest

from tests.reference import missing, reference_dir

from . import VENDORS, all_examples
from .corpus import Example, replay

EXAMPLES = all_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
async def test_the_fake_answers_as_the_vendor_recorded(example: Example) -> None:
    if example.reference and example.name.endswith("(reference document)"):
        missing(reference_dir())
    result = await replay(example, VENDORS[example.vendor][0])
    assert not result.unexpected, f"{example.source}:\n" + "\n".join(result.unexpected)
    assert not result.stale, f"accepted divergences that no longer occur (update the README): {result.stale}"
