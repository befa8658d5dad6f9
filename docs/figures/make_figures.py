"""Remakes the README's figures: runs its runnable examples (tests/docs/doc_examples.py) with the build's xpulse
and draws their figures at the resolution kept in the repository.
    /usr/bin/python3 docs/figures/make_figures.py [build/apps/xpulse/xpulse]"""
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "tests" / "docs"), str(ROOT / "python")]
import doc_examples  # noqa: E402
from xpulse import plot  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "apps" / "xpulse" / "xpulse")
with tempfile.TemporaryDirectory() as scratch:
    work = pathlib.Path(scratch)
    for name in ("pump-probe", "spi", "ptycho", "sfx"):
        doc_examples.run(name, work / name, binary)
    out = {name: str(HERE / f"{name}.png") for name in ("dispersion", "spi", "ptycho", "merge")}
    plot.dispersion(str(work / "pump-probe" / "dispersion.h5"), out["dispersion"],
                    spectra=str(work / "pump-probe" / "spectra.h5"), dpi=80)
    plot.spi(str(work / "spi" / "rec.h5"), out["spi"], score=str(work / "spi" / "score.h5"), dpi=60)
    plot.ptycho(str(work / "ptycho" / "obj.h5"), out["ptycho"], dpi=50)
    plot.sfx_stats(str(work / "sfx" / "merged.mtz.stats.h5"), out["merge"], dpi=70)
