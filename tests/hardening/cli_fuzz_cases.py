"""Generated bad command lines for every ``dwmgrad-verify`` subcommand (seeded, so the same
cases every run). Each case changes exactly one argument of a valid command line, and names
the value the error message must quote.

The CLI takes no spec files, so there are no malformed-file cases; its inputs are names,
scales, devices, directories, counts and benchmark options.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BadCall:
    argv: tuple[str, ...]
    bad: str            # the value the one-line message must contain

    @property
    def id(self) -> str:
        return " ".join(self.argv)[:90]


def random_word(rng: random.Random, valid: set[str]) -> str:
    """A name that is not in ``valid``: random letters, a near-miss of a valid name, or odd."""
    choice = rng.randrange(6)
    base = rng.choice(sorted(valid)) if valid else "x"
    if choice == 0:
        word = "".join(rng.choices(string.ascii_lowercase + "_", k=rng.randint(3, 12)))
    elif choice == 1:
        word = base + rng.choice(["_", "s", "2", "-x"])
    elif choice == 2:
        word = base.upper()
    elif choice == 3:
        word = base[:-1] if len(base) > 1 else base + base
    elif choice == 4:
        word = rng.choice(["none", "all_of_them", "ÿ", "a b", "", "0", "x--y"])
    else:
        word = "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(1, 20)))
    word = word.lstrip("-")         # a leading "-" would be parsed as an option
    return word if word not in valid else word + "_unknown"


SEED = 6
BAD_COUNTS = ["0", "-1", "-7", "1.5", "2.0", "abc", "", "1e3", "inf", "nan", "None", "0x10",
              "true", "1,000", "1000000", str(10**30), "9" * 400]
HUGE_THREADS = ["100000", "1000000", str(10**30)]
"""More threads than any machine has cores (torch given 100000 crashed)."""


def bad_paths(tmp: Path) -> list[str]:
    """Paths that cannot be an output directory: a file, paths under a file, and a directory
    in which nobody may create files (/proc/self refuses even root)."""
    file = tmp / "a_file.txt"
    file.write_text("not a directory\n")
    return [str(file), str(file / "sub"), str(file / "deeper" / "dir"), "/proc/self",
            "/proc/self/new_dir"]


def nested_bad_paths(tmp: Path) -> list[tuple[str, str]]:
    """Result directories with a file where the tool writes a folder, or a folder where it
    writes a file: (the --out value, the inner path the message must name)."""
    cases = []
    for inner in ("runs", "measurements", "quarantine", "theory", "checks", "logs", "figures",
                  "tables"):
        out = tmp / f"file_at_{inner}"
        out.mkdir(exist_ok=True)
        (out / inner).write_text("a file where a folder goes\n")
        cases.append((str(out), str(out / inner)))
    for inner in ("index.html", "report.md", "claims.json", "logs/stages.json",
                  "theory/bounds.json", "checks/checks.json"):
        out = tmp / f"folder_at_{inner.replace('/', '_')}"
        (out / inner).mkdir(parents=True, exist_ok=True)
        cases.append((str(out), str(out / inner)))
    return cases


def too_long_paths(tmp: Path) -> list[tuple[str, str]]:
    """Paths longer than PATH_MAX, with a component longer than NAME_MAX, or too long for the
    files written under them: (the value, its first 40 characters, which the message shows)."""
    long_name = str(tmp / ("n" * 300))
    deep = str(tmp / "/".join(["d" * 200] * 25))
    nearly = str(tmp.absolute())
    while len(nearly) < 4096 - 60:     # itself allowed, the files written under it not
        nearly += "/" + "e" * min(200, 4096 - 60 - len(nearly) - 1)
    return [(path, path[:40]) for path in (long_name, deep, nearly)]


def generate(tmp: Path, *, lists: set[str], experiments: set[str], scales: set[str],
             proofs: set[str], benchmarks: set[str], optimizers: set[str]) -> list[BadCall]:
    """At least 200 bad command lines over every subcommand, under ``tmp`` for paths."""
    rng = random.Random(SEED)
    out = str(tmp / "out")
    exp = sorted(experiments)[0]
    cases: list[BadCall] = []

    for _ in range(20):
        word = random_word(rng, lists)
        cases.append(BadCall(("list", word), word))
    for _ in range(30):
        word = random_word(rng, experiments)
        cases.append(BadCall(("run", exp, word, "--out", out), word))
    for _ in range(15):
        scale = random_word(rng, scales)
        cases.append(BadCall(("run", exp, "--scale", scale, "--out", out), scale))
        cases.append(BadCall(("all", "--scale", scale, "--out", out), scale))
    devices = ["cuda", "cuda:0", "gpu", "CPU", "tpu", "mps", "", "cpu0", "nonsense", "-1"]
    for device in devices:
        cases.append(BadCall(("run", exp, "--device", device, "--out", out), device))
        cases.append(BadCall(("all", "--device", device, "--out", out), device))
    for count in BAD_COUNTS:
        cases.append(BadCall(("run", exp, "--workers", count, "--out", out), count))
        cases.append(BadCall(("all", "--workers", count, "--out", out), count))
    for path in bad_paths(tmp):
        cases.append(BadCall(("run", exp, "--out", path), path))
        cases.append(BadCall(("all", "--out", path), path))
        cases.append(BadCall(("report", "--out", path), path))
        cases.append(BadCall(("theory", "--out", path), path))
        cases.append(BadCall(("check", "--out", path), path))
    for path, bad in nested_bad_paths(tmp) + too_long_paths(tmp):
        cases.append(BadCall(("run", exp, "--out", path), bad))
        cases.append(BadCall(("all", "--out", path), bad))
        cases.append(BadCall(("report", "--out", path), bad))
        cases.append(BadCall(("theory", "--out", path), bad))
        cases.append(BadCall(("check", "--out", path), bad))
    for command in (("run", exp), ("all",), ("report",), ("theory",), ("check",)):
        cases.append(BadCall((*command, "--out", ""), "''"))
    for inner, make_folder in ((f"runs/{exp}", False), (f"measurements/{exp}.json", True)):
        out_dir = tmp / f"inner_{inner.replace('/', '_')}"
        (out_dir / inner).parent.mkdir(parents=True, exist_ok=True)
        if make_folder:
            (out_dir / inner).mkdir(exist_ok=True)
        else:
            (out_dir / inner).write_text("a file where a folder goes\n")
        cases.append(BadCall(("run", exp, "--out", str(out_dir)), str(out_dir / inner)))
        cases.append(BadCall(("all", "--out", str(out_dir)), str(out_dir / inner)))
    missing = str(tmp / "does" / "not" / "exist")
    cases.append(BadCall(("report", "--out", missing), missing))
    for _ in range(15):
        proof = random_word(rng, proofs)
        cases.append(BadCall(("check", "--proof", proof), proof))
    for _ in range(15):
        name = random_word(rng, benchmarks)
        cases.append(BadCall(("bench", name), name))
    cases += bench_cases(tmp, rng, benchmarks, optimizers)
    cases += replay_cases(tmp)
    cases += verify_results_cases(tmp)
    cases += audit_cases(tmp, rng, out, optimizers)
    return cases


def audit_cases(tmp: Path, rng: random.Random, out: str,
                registered: set[str]) -> list[BadCall]:
    """Optimizers that are not registered, do not import or are not optimizers, options that
    are not a JSON object the optimizer accepts, bounds that are not registered, bad scales,
    worker counts and output directories."""
    good = ("--optimizer", "torch.optim:Adagrad")
    optimizers = ["nosuch:X", "torch.optim", "torch.optim:NoSuch", "torch.nn:Linear",
                  "math:pi", ":Adagrad", "torch.optim:", "torch..optim:Adagrad"]
    optimizers += [word for word in (random_word(rng, registered) for _ in range(5)) if word]
    cases = [BadCall(("audit", "--optimizer", name, "--out", out), name) for name in optimizers]
    cases += [BadCall(("audit", "--optimizer", "Adam", "--options", text, "--out", out), text)
              for text in ('{"lr": -1}', '{"betas": [0.9]}', '{"amsgrad": true}')]
    cases += [BadCall(("audit", *good, "--bound", name, "--out", out), name)
              for name in ("nosuch", "dwmgrad_regret")]
    options = ["notjson", "[0.1]", "0.1", '"lr"', '{"lr": NaN}', '{"lr": Infinity}',
               '{"lr": "fast"}', '{"nosuch": 1}', '{"lr": -1}', "{'lr': 0.1}"]
    cases += [BadCall(("audit", *good, "--options", text, "--out", out), text)
              for text in options]
    for _ in range(5):
        scale = random_word(rng, {"quick", "full"})
        cases.append(BadCall(("audit", *good, "--scale", scale, "--out", out), scale))
    cases += [BadCall(("audit", *good, "--workers", count, "--out", out), count)
              for count in BAD_COUNTS]
    cases += [BadCall(("audit", *good, "--out", path), path) for path in bad_paths(tmp)]
    return cases


def replay_cases(tmp: Path) -> list[BadCall]:
    """Replay files that are missing, not JSON, or break the replay format."""
    good = {"format": "dwmgrad-verify counterexample replay", "version": 1,
            "target": {"label": "Adam", "optimizer": "Adam", "hyperparameters": {"lr": 0.5}},
            "controls": [], "sequence": {"phases": [[0.0, 1.0, 0.0]], "x0": 0.0}, "T0": 5,
            "recorded": {}, "counterexample": False}
    bad_values = [("T0", -3, "-3"), ("T0", "ten", "ten"), ("version", 99, "99"),
                  ("format", "csv", "format"), ("sequence", {"phases": [], "x0": 0}, "phases"),
                  ("sequence", {"phases": [[0, 1, 0]], "x0": 7.5}, "7.5"),
                  ("target", {"label": "x", "optimizer": "Bogus", "hyperparameters": {}},
                   "Bogus")]
    cases = [BadCall(("replay", str(tmp / "missing.json")), "missing.json")]
    text = tmp / "replay_text.json"
    text.write_text("not json\n")
    cases.append(BadCall(("replay", str(text)), "replay_text.json"))
    for i, (key, value, shown) in enumerate(bad_values):
        path = tmp / f"replay_{i}.json"
        path.write_text(json.dumps({**good, key: value}))
        cases.append(BadCall(("replay", str(path)), shown))
    return cases


def verify_results_cases(tmp: Path) -> list[BadCall]:
    """Directories that are not result directories (``verify-results`` exits 2 on them)."""
    plain = tmp / "not_results"
    (plain / "figures").mkdir(parents=True, exist_ok=True)
    file = tmp / "a_file.txt"
    cases = [BadCall(("verify-results", path), path or "''")
             for path in (str(plain), str(file), str(file / "sub"), str(tmp / "missing"), "")]
    return cases + [BadCall(("verify-results", path), bad) for path, bad in too_long_paths(tmp)]


def bench_cases(tmp: Path, rng: random.Random, benchmarks: set[str],
                optimizers: set[str]) -> list[BadCall]:
    """Bad options of each registered benchmark (small valid sizes elsewhere)."""
    cases: list[BadCall] = []
    under_file = str(tmp / "a_file.txt" / "bench.json")
    if "optimizers" in benchmarks:
        small = ["--numel", "64", "--tensors", "2", "--repeats", "1"]
        for option in ("--numel", "--tensors", "--repeats", "--threads"):
            for value in ("0", "-1", "abc", "1.5"):
                cases.append(BadCall(("bench", "optimizers", *dedupe([*small, option, value])),
                                     value))
        for value in HUGE_THREADS:
            cases.append(BadCall(("bench", "optimizers", *small, "--threads", value), value))
        cases.append(BadCall(("bench", "optimizers", *small, "--out", ""), "''"))
        cases.append(BadCall(("bench", "optimizers", *small, "--out", under_file), under_file))
    if "allocator" in benchmarks:
        small = ["--sizes", "4", "--steps", "1"]
        for option, values in (("--sizes", ("0", "abc", "21,99", "", "4,")),
                               ("--steps", ("0", "-1", "abc", "1.5"))):
            for value in values:
                cases.append(BadCall(("bench", "allocator", *dedupe([*small, option, value])),
                                     repr(value) if value == "" else value))
        cases.append(BadCall(("bench", "allocator", *small, "--out", under_file), under_file))
    if "blocks" in benchmarks:
        small = ["--numel", "64", "--tensors", "2", "--repeats", "1", "--sizes", "16",
                 "--threads", "1"]
        for option in ("--numel", "--tensors", "--repeats", "--sizes", "--threads"):
            for value in ("0", "-1", "abc", "1.5", "8,0"):
                cases.append(BadCall(("bench", "blocks", *dedupe([*small, option, value])),
                                     value))
        for value in HUGE_THREADS:
            cases.append(BadCall(("bench", "blocks", *dedupe([*small, "--threads", value])),
                                 value))
        cases.append(BadCall(("bench", "blocks", *small, "--out", under_file), under_file))
    if "engine" in benchmarks:
        small = ["--instances", "4", "--horizon", "3", "--dim", "2"]
        for option in ("--instances", "--horizon", "--dim", "--threads", "--loop-instances"):
            for value in ("0", "-2", "x", "2.5"):
                cases.append(BadCall(("bench", "engine", *dedupe([*small, option, value])),
                                     value))
        for value in HUGE_THREADS:
            cases.append(BadCall(("bench", "engine", *small, "--threads", value), value))
        cases.append(BadCall(("bench", "engine", *small, "--out", ""), "''"))
        for _ in range(5):
            name = random_word(rng, optimizers)
            cases.append(BadCall(("bench", "engine", *small, "--optimizer", name), name))
        cases.append(BadCall(("bench", "engine", *small, "--out", under_file), under_file))
    if "all" in benchmarks:
        for option in ("--numel", "--tensors", "--repeats", "--instances", "--horizon",
                       "--threads"):
            for value in ("0", "-3", "many"):
                cases.append(BadCall(("bench", "all", option, value), value))
        for value in HUGE_THREADS:
            cases.append(BadCall(("bench", "all", "--threads", value), value))
        for _ in range(3):
            scale = random_word(rng, {"quick", "full"})
            cases.append(BadCall(("bench", "all", "--scale", scale), scale))
        cases.append(BadCall(("bench", "all", "--json-out", under_file), under_file))
        cases.append(BadCall(("bench", "all", "--json-out", str(tmp)), str(tmp)))
    return cases


def dedupe(argv: list[str]) -> list[str]:
    """Keep the last value of each repeated option (argparse would, but be explicit)."""
    pairs: dict[str, str] = {}
    for option, value in zip(argv[::2], argv[1::2], strict=True):
        pairs.pop(option, None)
        pairs[option] = value
    return [x for pair in pairs.items() for x in pair]
