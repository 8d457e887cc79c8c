"""Portable numerics: the same bits, to the step, on every x86-64 CPU of one vendor with AVX2.

    import numerics; numerics.pin()      # FIRST, before anything imports torch (grok.py, bench.py, tests)
    import torch
    numerics.key("cpu")                  # what decides a run's bits; on AMD 'cpu AVX2 MKL_CBWR=AVX2 torch 2.13.0+cpu'

Grokking is chaotic: one rounding difference at step 600 becomes thousands of steps of t_gen by step
17,000. torch's CPU build picks its vector kernels from the CPU it finds (AVX-512 where there is one,
else AVX2), and its BLAS (MKL) picks code paths per CPU as well, so the same command gave the MLP base
of seed 0 t_gen 17,400 on an AVX2 AMD EPYC, 16,900 on an AVX-512 AMD EPYC and 16,500 on an AVX-512
Intel Xeon. torch's kernels are fixed with ATEN_CPU_CAPABILITY=avx2. MKL's are fixed differently per
vendor, because oneMKL's conditional numerical reproducibility (MKL_CBWR) branches are Intel-only:

  AMD    MKL_CBWR=AVX2 is ignored (MKL runs its AUTO path); measured: every AMD EPYC tried, AVX2 or
         AVX-512, computes the same bits, 1 or 2 threads. Key 'cpu AVX2 MKL_CBWR=AVX2 torch ...'
         (REFERENCE: the numerics that made results/).
  Intel  MKL_CBWR=AVX2,STRICT: oneMKL's strict AVX2 branch, the same bits on every Intel CPU with
         AVX2 and whatever the thread count (oneMKL's promise; seen on one Xeon). These are other bits
         than AMD's (no MKL branch on a Xeon reproduced them: docs/details.md), so the key names the
         vendor: 'cpu AVX2 MKL_CBWR=AVX2,STRICT GenuineIntel torch ...', and Intel runs get ids of
         their own.

Any other combination (another vendor, --native-numerics, the user's own MKL_CBWR) gets a key that
names the CPU model: machine-specific bits and run ids of their own. The thread count does not change
the bits of either portable numerics (tested: test_grok.py, one vs two threads), so it is recorded,
not part of a run's identity. Intra-op threads: one per process by default (grok.py), so that two
commands on a 2-core machine do not spin against each other. This module must not import torch at
import time.
"""
import os
import platform

# The environment each vendor's portable numerics set before torch is imported.
PORTABLE = {"AuthenticAMD": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"},
            "GenuineIntel": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT"}}
# The numerics every committed result was made with (AMD): a run with these numerics keeps the id it
# had before numerics were recorded (runs.settings leaves them out of the identity).
REFERENCE = "cpu AVX2 MKL_CBWR=AVX2 torch 2.13.0+cpu"


def _cpuinfo(field, cpuinfo="/proc/cpuinfo"):
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def vendor(cpuinfo="/proc/cpuinfo"):
    """The CPU vendor as the CPU names itself: 'AuthenticAMD', 'GenuineIntel', or '' (not x86-64 Linux,
    or another vendor's name)."""
    return _cpuinfo("vendor_id", cpuinfo)


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's model name (recorded, not part of a portable key: there it does not change the bits)."""
    return _cpuinfo("model name", cpuinfo) or platform.processor() or platform.machine()


_chosen = []


def pin(native=False, environ=None, cpuinfo="/proc/cpuinfo"):
    """Set this vendor's portable kernels (PORTABLE) in `environ` (default: this process's, where the
    first call decides: runs.py and trainer.py call pin() for whoever imports them first, which must not undo an
    entry point's --native-numerics) unless `native`, the vendor has none, or the user has set them.
    Call before importing torch; afterwards it changes nothing, and key() reports what torch uses."""
    if environ is None:
        if _chosen:
            return
        _chosen.append(native)
        environ = os.environ
    if not native:
        for name, value in PORTABLE.get(vendor(cpuinfo), {}).items():
            environ.setdefault(name, value)


def key(device="cpu", cpuinfo="/proc/cpuinfo", environ=None, capability=None, torch_version=None):
    """What determines the bits of a run on `device` in this process: the device kind, torch's CPU
    capability, MKL_CBWR, the vendor where MKL honours MKL_CBWR (Intel), the torch version, and the CPU
    model for numerics that are not portable; for CUDA, the GPU and CUDA version. The keyword
    arguments stand in for this machine's (tests)."""
    import torch
    if str(device).startswith("cuda"):
        return f"cuda {torch.cuda.get_device_name()} CUDA {torch.version.cuda} torch {torch.__version__}"
    environ = os.environ if environ is None else environ
    capability = capability or torch.backends.cpu.get_cpu_capability()
    version = torch_version or torch.__version__
    cbwr, cpu = environ.get("MKL_CBWR", ""), vendor(cpuinfo)
    if capability == "AVX2" and cpu == "AuthenticAMD" and cbwr == "AVX2":
        return f"cpu AVX2 MKL_CBWR=AVX2 torch {version}"
    if capability == "AVX2" and cpu == "GenuineIntel" and cbwr == "AVX2,STRICT":
        return f"cpu AVX2 MKL_CBWR=AVX2,STRICT GenuineIntel torch {version}"
    return f"cpu {capability} MKL_CBWR={cbwr or 'native'} torch {version} on {cpu_model(cpuinfo)}"


def portable(numerics_key):
    """True for the numerics that give the same bits on every CPU of their vendor with AVX2 (AMD's,
    or Intel's, never one of them for the other's: they are different keys)."""
    return (numerics_key.startswith("cpu AVX2 MKL_CBWR=AVX2 torch ")
            or numerics_key.startswith("cpu AVX2 MKL_CBWR=AVX2,STRICT GenuineIntel torch ")) \
        and " on " not in numerics_key


def describe(device="cpu"):
    """Everything about this process that could matter to a run's bits, for config.json."""
    import torch
    return dict(numerics=key(device), device=str(device), torch=torch.__version__,
                cpu_capability=torch.backends.cpu.get_cpu_capability(),
                mkl_cbwr=os.environ.get("MKL_CBWR", ""), threads=torch.get_num_threads(),
                cpu=cpu_model(), vendor=vendor())
