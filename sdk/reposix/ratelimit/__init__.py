"""Rate limits: read every signal servers send, wait them out, pace requests before refusal."""

from reposix.ratelimit.gate import RateGate
from reposix.ratelimit.policy import RateLimitPolicy, RetryPolicy
from reposix.ratelimit.retry import RetryState, Step
from reposix.ratelimit.signals import RateSignal, parse_signal, seconds_until

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
