"""Device and precision, decided in this one module.

Everything else reads ``tensor.device`` or asks :class:`Runtime` for an
autocast context; nothing else calls ``torch.cuda.is_available``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from .errors import DeviceError, OutOfMemoryError, VstyleError
from .options import DEVICES

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def resolve_device(spec: str = "auto") -> torch.device:
    """Turn ``auto|cpu|cuda|cuda:N|mps`` into a usable :class:`torch.device`.

    Raises:
        DeviceError: the name is unknown or that device is not present.
    """
    spec = spec.strip().lower()
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        if not _mps_available():
            raise DeviceError("--device mps: Apple MPS is not available on this machine")
        return torch.device("mps")
    match = re.fullmatch(r"cuda(?::(\d+))?", spec)
    if not match:
        raise DeviceError(f"--device '{spec}' is not one of {', '.join(DEVICES)}")
    if not torch.cuda.is_available():
        raise DeviceError(f"--device {spec}: no CUDA GPU is available (try --device cpu)")
    index = int(match.group(1) or 0)
    if index >= torch.cuda.device_count():
        raise DeviceError(
            f"--device {spec}: only {torch.cuda.device_count()} CUDA device(s) present"
        )
    return torch.device("cuda", index)


def mixed_precision(device: torch.device) -> str:
    """What ``--precision auto`` means (training): bf16 autocast on a CUDA GPU that has it,
    fp16 on older ones, fp32 elsewhere (CPU and MPS autocast convs are no faster)."""
    if device.type != "cuda":
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def cpu_has_bf16() -> bool:
    """True when this CPU computes bf16 natively (AVX512-BF16 or AMX on x86, BF16 on Arm).

    Without it oneDNN emulates bf16 and autocast makes VGG slower, not faster.
    """
    caps = torch.cpu.get_capabilities()
    return any(caps.get(k, False) for k in ("avx512_bf16", "amx_bf16", "bf16", "sve_bf16"))


def auto_precision(device: torch.device) -> str:
    """The precision ``--precision auto`` picks on ``device``.

    bf16 on a CPU with native bf16: an L-BFGS iteration takes 0.55-0.65x the fp32 time
    and the picture scores within 1% of fp32's under the fp32 objective after equal
    iterations (benchmarks/speed.py, RESULTS.md). fp32 elsewhere, GPUs included, where
    the bf16 trade has not been measured yet.
    """
    return "bf16" if device.type == "cpu" and cpu_has_bf16() else "fp32"


@dataclass(frozen=True)
class Runtime:
    """The chosen device and precision, with the few helpers that depend on them."""

    device: torch.device
    precision: str = "fp32"

    @classmethod
    def from_options(
        cls, device: str = "auto", precision: str = "fp32", training: bool = False
    ) -> Runtime:
        """Resolve ``--device`` and ``--precision``.

        ``auto`` means :func:`auto_precision` for stylizing and :func:`mixed_precision`
        for training a network (measured separately: they are different workloads).
        """
        dev = resolve_device(device)
        if precision == "auto":
            precision = mixed_precision(dev) if training else auto_precision(dev)
        if precision == "fp16" and dev.type == "cpu":
            raise DeviceError("--precision fp16 needs a GPU; use bf16 or fp32 on the CPU")
        if precision == "bf16" and dev.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise DeviceError(f"--precision bf16 is not supported on {dev}; use fp16 or fp32")
        return cls(dev, precision)

    @property
    def dtype(self) -> torch.dtype:
        """Dtype of network activations under autocast (parameters stay fp32)."""
        return _DTYPES[self.precision]

    @property
    def memory_format(self) -> torch.memory_format:
        """channels_last on CUDA, where cuDNN convolutions prefer it.

        Not on the CPU (benchmarks/speed.py --channels-last): bf16 is 1.1-1.2x slower
        there, and fp32 measured 0.9-1.06x, within this shared machine's noise.
        """
        return torch.channels_last if self.device.type == "cuda" else torch.contiguous_format

    @property
    def streams(self) -> bool:
        """Whether frames travel in pinned host batches copied on their own streams,
        overlapping the network (CUDA), rather than one step after another."""
        return self.device.type == "cuda"

    @property
    def resizes_on_device(self) -> bool:
        """Whether frames reach the stylizer at the source size and are resized on the
        device (CUDA: the copy is then of the source's pixels, and no CPU core resizes).
        Elsewhere OpenCV resizes on the host, before the frames are batched."""
        return self.device.type == "cuda"

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast context for network forwards; a no-op for fp32."""
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def prepare(self, module: torch.nn.Module) -> torch.nn.Module:
        """Move a module to this device in its preferred memory format."""
        return module.to(self.device, memory_format=self.memory_format)

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Move an image batch to this device in its preferred memory format."""
        return x.to(self.device).contiguous(memory_format=self.memory_format)

    def synchronize(self) -> None:
        """Wait for queued device work (for honest timings)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


# How PyTorch's CPU allocator (a RuntimeError) and OpenCV (cv2.error) word a failed
# allocation; neither raises MemoryError.
_CPU_OOM = (
    "not enough memory", "can't allocate memory", "cannot allocate memory",
    "insufficient memory", "failed to allocate",
)  # fmt: skip


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a failed allocation on any device: CUDA's OutOfMemoryError, Python's or
    NumPy's MemoryError, PyTorch's CPU allocator or OpenCV running out."""
    if isinstance(exc, VstyleError) or not isinstance(exc, Exception):
        return False  # already explained, or KeyboardInterrupt and the like
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    return any(m in str(exc).lower() for m in _CPU_OOM)


def out_of_memory_error(exc: BaseException) -> OutOfMemoryError:
    """The one-line error (exit code 4) for a failed allocation, saying what to try."""
    where = "the GPU" if isinstance(exc, torch.OutOfMemoryError) else "the CPU"
    return OutOfMemoryError(
        f"{where} ran out of memory; try a smaller --max-side (e.g. --max-side 1024), "
        "--scales 2 or more, or --precision bf16"
    )


@contextlib.contextmanager
def out_of_memory_hint() -> Iterator[None]:
    """Turn a failed allocation, on the GPU or the CPU, into an :class:`OutOfMemoryError`."""
    try:
        yield
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        raise out_of_memory_error(exc) from exc


# Shares of the memory free now that a run may plan on when --max-memory is not given:
# the rest is left to the system, the decoder and encoder threads, and the allocator's slack.
CPU_MEMORY_SHARE = 0.5
CUDA_MEMORY_SHARE = 0.8


def _proc_kib(path: str, key: str) -> int | None:
    """The ``key:`` field of a Linux /proc file, in KiB; None where it cannot be read."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _available_ram() -> int:
    """Bytes of RAM available now (``MemAvailable``), or all of it where that is unknown."""
    kib = _proc_kib("/proc/meminfo", "MemAvailable")
    if kib is not None:
        return kib * 1024
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def peak_rss(pid: int | None = None) -> int | None:
    """Peak resident bytes of process ``pid`` (this one when None), from Linux's ``VmHWM``,
    the process's own high-water mark. Not ``ru_maxrss``: a child's starts at its
    parent's over fork and exec. Without /proc: this process's ``ru_maxrss``, and None
    for another process (also for one that is gone)."""
    kib = _proc_kib(f"/proc/{pid or 'self'}/status", "VmHWM")
    if kib is not None:
        return kib * 1024
    if pid is not None:
        return None
    import resource
    import sys

    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else usage * 1024  # bytes there, KiB elsewhere


def memory_budget(device: torch.device) -> int:
    """Bytes a run on ``device`` may plan on when ``--max-memory`` is not given: a share
    of the device's free memory (CUDA) or of the RAM available now (CPU and others)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * CUDA_MEMORY_SHARE)
    return int(_available_ram() * CPU_MEMORY_SHARE)
