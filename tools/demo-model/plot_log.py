"""Plots a training log written by train.py: training loss per logged step, held-out loss, held-out token accuracy
and the fraction of held-out conversations predicted exactly.

    /usr/bin/python3 plot_log.py --log train-stage1.log train.log --out ../../docs/demo-model-loss.png

Several logs are stages of one model (the next started from the previous one's weights): they are drawn one after
the other, each stage's steps and minutes counted on from where the previous stage stopped, with a line between.

Needs matplotlib (Debian: python3-matplotlib). A log of a resumed run (several "train" headers) is read as one run.
"""
import argparse
import re

STEP = re.compile(r"^step (\d+) lr \S+ loss (\S+) .*elapsed (\d+)s")
HELDOUT = re.compile(r"^heldout step (\d+) loss (\S+) token_accuracy (\S+) conversation_exact (\S+)")


def read_log(path):
    train, heldout = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if m := STEP.match(line):
                train[int(m[1])] = (float(m[2]), int(m[3]))
            elif m := HELDOUT.match(line):
                heldout[int(m[1])] = (float(m[2]), float(m[3]), float(m[4]))
    if not train:
        raise SystemExit(f"{path}: no 'step N ... loss X' lines")
    return sorted(train.items()), sorted(heldout.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", required=True, nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, heldout, starts = [], [], []
    for path in args.log:
        step0, seconds0 = (train[-1][0] + 1, train[-1][1][1]) if train else (0, 0)
        t, h = read_log(path)
        starts.append(step0)
        train += [(s + step0, (loss, seconds + seconds0)) for s, (loss, seconds) in t if s + step0 >= step0]
        heldout += [(s + step0, v) for s, v in h]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot([s for s, _ in train], [v[0] for _, v in train], label="training loss (assistant tokens)", lw=1)
    if heldout:
        left.plot([s for s, _ in heldout], [v[0] for _, v in heldout], "o-", label="held-out loss", ms=3)
    for step0 in starts[1:]:
        for axis in (left, right):
            axis.axvline(step0, color="gray", ls=":", lw=1)
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("cross-entropy (nats)")
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    minutes = train[-1][1][1] / 60
    stages = f" in {len(starts)} stages" if len(starts) > 1 else ""
    left.set_title(f"demo model: {train[-1][0] + 1} steps{stages}, {minutes:.0f} min on 2 CPU cores")
    if heldout:
        right.plot([s for s, _ in heldout], [v[1] for _, v in heldout], "o-", label="held-out token accuracy", ms=3)
        right.plot([s for s, _ in heldout], [v[2] for _, v in heldout], "s-", label="held-out conversations exact", ms=3)
        right.set_ylim(0, 1.02)
        right.set_xlabel("step")
        right.grid(True, alpha=0.3)
        right.legend(loc="lower right")
        right.set_title("teacher-forced argmax on 256 held-out conversations")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
