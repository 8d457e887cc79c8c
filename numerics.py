"""Portable numerics: the same bits, to the step, on every x86-64 CPU with AVX2.

    import numerics; numerics.pin()      # FIRST, before anything imports torch (grok.py, bench.py, tests)
    import torch
    numerics.key("cpu")                  # 'cpu AVX2 MKL_CBWR=AVX2 torch 2.13.0+cpu': what decides a run's bits

Grokking is chaotic: one rounding difference at step 600 becomes thousands of steps of t_gen by step
17,000. torch's CPU build picks its vector kernels from the CPU it finds (AVX-512 where there is one,
else AVX2), and its BLAS (MKL) picks code paths per CPU as well, so the same command gave the MLP base
of seed 0 t_gen 17,400 on an AVX2 AMD EPYC, 16,900 on an AVX-512 AMD EPYC and 16,500 on an AVX-512
Intel Xeon. Both choices can be fixed before torch is imported: ATEN_CPU_CAPABILITY=avx2 (torch's own
kernels) and MKL_CBWR=AVX2 (MKL's conditional numerical reproducibility). With both, an AVX-512 AMD
EPYC reproduced every logged step of the AVX2-made curves (README, "Portable numerics").

Intra-op threads: one per process by default, so that two commands on a 2-core machine do not spin
against each other (two processes of two threads each ran 20x slower). The thread count does not
change the bits here (tested: test_grok.py, one vs two threads), so it is recorded, not part of a
run's identity. --native-numerics (or the user's own ATEN_CPU_CAPABILITY / MKL_CBWR) lets torch and
MKL choose: perhaps a few percent faster (README), machine-specific bits, and run ids of their own.
This module must not import torch at import time.
"""
import os
import platform

PORTABLE = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}
# The numerics every committed result was made with, and the default of trainer.Run.numerics: a run
# with these numerics keeps the id it had before numerics were recorded (they are the bits of the
# AVX2 machines that made most of results/, checked step by step against pinned runs).
REFERENCE = "cpu AVX2 MKL_CBWR=AVX2 torch 2.13.0+cpu"


_chosen = []


def pin(native=False, environ=None):
    """Set the portable kernels in `environ` (default: this process's, where the first call decides:
    trainer.py calls pin() for whoever imports it first, which must not undo an entry point's
    --native-numerics) unless `native` or the user has set them. Call before importing torch;
    afterwards it changes nothing, and key() reports what torch really uses."""
    if environ is None:
        if _chosen:
            return
        _chosen.append(native)
        environ = os.environ
    if not native:
        for name, value in PORTABLE.items():
            environ.setdefault(name, value)


def cpu_model():
    """The CPU's model name (recorded, not part of the identity: in portable mode it does not
    change the bits)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def key(device="cpu"):
    """What determines the bits of a run on `device` in this process: device kind, torch's CPU
    capability, MKL_CBWR, torch version (and, for native numerics, the CPU model, since MKL's own
    choice of code path then depends on it; for CUDA, the GPU and CUDA version)."""
    import torch
    if str(device).startswith("cuda"):
        return f"cuda {torch.cuda.get_device_name()} CUDA {torch.version.cuda} torch {torch.__version__}"
    capability = torch.backends.cpu.get_cpu_capability()
    cbwr = os.environ.get("MKL_CBWR", "")
    if capability == "AVX2" and cbwr == "AVX2":
        return f"cpu AVX2 MKL_CBWR=AVX2 torch {torch.__version__}"
    return f"cpu {capability} MKL_CBWR={cbwr or 'native'} torch {torch.__version__} on {cpu_model()}"


def portable(numerics_key):
    """True for numerics that give the same bits on any x86-64 CPU with AVX2."""
    return numerics_key.startswith("cpu AVX2 MKL_CBWR=AVX2 ")


def describe(device="cpu"):
    """Everything about this process that could matter to a run's bits, for config.json."""
    import torch
    return dict(numerics=key(device), device=str(device), torch=torch.__version__,
                cpu_capability=torch.backends.cpu.get_cpu_capability(),
                mkl_cbwr=os.environ.get("MKL_CBWR", ""), threads=torch.get_num_threads(),
                cpu=cpu_model())
