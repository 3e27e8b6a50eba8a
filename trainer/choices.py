"""The trainer's option values, in one light module the CLI can import without torch or pandas."""

from __future__ import annotations

TEXT_FORMATS = ("title-abstract", "abstract")
# PatentCL (J0nasW/patentCL) joined title and abstract with a literal " [SEP] "; kept as the default
# so a model tuned here reads the same text as the PatentCL models it is compared with.
DEFAULT_SEPARATOR = " [SEP] "
CODE_LEVELS = ("subgroup", "main-group")
LOSSES = ("mnrl", "cached-mnrl", "triplet")
IN_BATCH_LOSSES = ("mnrl", "cached-mnrl")
SAMPLERS = ("no-duplicates", "cpc-aware")
TRAIN_PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DEFAULT_BASE_MODEL = "AI-Growth-Lab/PatentSBERTa"
