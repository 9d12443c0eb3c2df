"""torch.distributed as a one-process run sees it: world size 1, rank 0.

Model-parallel layers size their shards by the world size of their process group
(`out_features // get_world_size(group)`), so the state_dict depends on how the
model is launched. Like environment variables (which take their defaults), the
predictor takes the single-process launch -- `torchrun --nproc_per_node 1`, or
a one-rank group -- whose state_dict is the unsharded one. `is_initialized()`
and everything else of torch.distributed stay unknown.
"""

from __future__ import annotations

from typing import Any, Dict, List

from wlint.model.evaluator import Evaluator
from wlint.model.overlays.registry import register_functions


def _world_size(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return 1


def _rank(it: Evaluator, _: Any, args: List[Any], kw: Dict[str, Any], node: Any) -> Any:
    return 0


for _namespace in ("torch.distributed", "torch.distributed.distributed_c10d"):
    register_functions(_namespace, {"get_world_size": _world_size, "get_rank": _rank})
