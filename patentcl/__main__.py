"""`python -m patentcl` (and `torchrun -m patentcl train ...` for multi-GPU training)."""

from patentcl.cli import run

run()
