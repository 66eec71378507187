"""What the password policy costs beside the password hash it guards.

Every password that is set is judged by :func:`goldsieve.people.users.password_problems` (length, the
user name, then zxcvbn's estimate of the first ``ESTIMATED_CHARS`` characters) and then hashed
with scrypt. This measures both in the same run — a typical passphrase, a random password as
long as the estimator reads, and the longest password allowed — and prints the medians and the
policy / hash ratios. The estimator's cost grows steeply with the length; the ratio shows the
cap keeps the policy below the cost of the hash that follows it.

    .venv/bin/python bench/bench_passwords.py [--rounds 15]
"""
from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections.abc import Callable

from werkzeug.security import generate_password_hash
from zxcvbn import zxcvbn

from goldsieve.people.users import ESTIMATED_CHARS, MAX_PASSWORD, password_problems


def median_ms(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_!&"
    cases = {
        "passphrase (21 chars)": "correct-horse-battery",
        f"random ({ESTIMATED_CHARS} chars)": "".join(rng.choice(alphabet) for _ in range(ESTIMATED_CHARS)),
        f"digits ({ESTIMATED_CHARS} chars)": ("9081726354" * 8)[:ESTIMATED_CHARS],
        f"random ({MAX_PASSWORD} chars)": "".join(rng.choice(alphabet) for _ in range(MAX_PASSWORD)),
    }
    password_problems("warm-up-passphrase", "bench")  # the estimator loads its word lists once
    print("| password | policy | scrypt hash | policy / hash |")
    print("|---|---:|---:|---:|")
    for label, password in cases.items():
        policy = median_ms(lambda: password_problems(password, "bench"), args.rounds)
        hashed = median_ms(lambda: generate_password_hash(password, method="scrypt"), args.rounds)
        print(f"| {label} | {policy:.1f} ms | {hashed:.1f} ms | {policy / hashed:.2f} |")
    # what the cap saves: the estimator on a whole 64-character password (it refuses > 72)
    whole = "".join(rng.choice(alphabet) for _ in range(64))
    uncapped = median_ms(lambda: zxcvbn(whole, user_inputs=["bench"]), args.rounds)
    hashed = median_ms(lambda: generate_password_hash(whole, method="scrypt"), args.rounds)
    print(f"| random (64 chars), estimator uncapped | {uncapped:.1f} ms | {hashed:.1f} ms | "
          f"{uncapped / hashed:.2f} |")


if __name__ == "__main__":
    main()
