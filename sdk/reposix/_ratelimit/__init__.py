"""Rate limits: read every signal servers send, wait them out, pace requests before refusal."""

from reposix._ratelimit.gate import RateGate
from reposix._ratelimit.policy import RateLimitPolicy, RetryPolicy
from reposix._ratelimit.retry import RetryState, Step
from reposix._ratelimit.signals import RateSignal, parse_signal, seconds_until

__all__ = [
    "RateGate",
    "RateLimitPolicy",
    "RateSignal",
    "RetryPolicy",
    "RetryState",
    "Step",
    "parse_signal",
    "seconds_until",
]
