"""Fire drills: a fault plan played against botdeck through its real engine.

`rehearse --replay LOG --chaos PLAN` plays a night on the virtual clock, `demo --chaos
PLAN` on the wall clock in the dashboard, `--chaos default` the shipped 10-minute drill.
The plan (`plan`) names faults by kind (`kinds`, one registry entry each); the world
outside botdeck (`world`) plays them, and botdeck meets them at its edges, through
wrappers around its real responder, source and sink (`edges`); the drill (`drill`) runs
botdeck across its lives, a crash fault killing one and a restart opening the next.
"""

from botdeck.chaos.drill import Drill, Handling
from botdeck.chaos.kinds import KINDS
from botdeck.chaos.plan import DEFAULT, FaultPlan, PlanError, load_plan, parse_plan
from botdeck.chaos.world import Ledger

__all__ = [
    "DEFAULT",
    "KINDS",
    "Drill",
    "FaultPlan",
    "Handling",
    "Ledger",
    "PlanError",
    "load_plan",
    "parse_plan",
]
