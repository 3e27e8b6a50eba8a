"""The trainer's option values, in one light module the CLI can import without torch or pandas."""

from __future__ import annotations

from patentcl.cpc import MAIN_GROUP, SUBGROUP

CODE_LEVELS = (SUBGROUP, MAIN_GROUP)
# Earlier spellings still accepted (not offered) by --cpc-level, normalised to the core's names.
CODE_LEVEL_ALIASES = {"main-group": MAIN_GROUP}
LOSSES = ("mnrl", "cached-mnrl", "triplet")
IN_BATCH_LOSSES = ("mnrl", "cached-mnrl")
SAMPLERS = ("no-duplicates", "cpc-aware")
TRAIN_PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DEFAULT_BASE_MODEL = "AI-Growth-Lab/PatentSBERTa"
