"""What ``--photo`` and the region masks add to the optimizer's objective.

:class:`PhotoTerms` is built once per run by :class:`~vstyle.optimize.stylizer.FrameOptimizer`
when ``options.photo`` asks for it. It hands the objective of each scale (or tile)
an extra photorealism term and, with masks, a style term taken region by region.
For video, :meth:`PhotoTerms.ahead` builds each frame's Laplacian on a thread while
the previous frame is being optimized, as the flow is.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator

import cv2
import numpy as np
import torch

from ..device import Runtime
from ..errors import InputError
from ..frames import Frame, to_tensor
from ..io.image import resize
from ..io.threads import prefetch
from ..losses.gatys import gram
from ..losses.photo import photo_loss
from ..nets.vgg import VGGFeatures
from ..optimize.sizes import MIN_SIDE
from ..options import Options
from .laplacian import matting_laplacian
from .regions import (
    Region,
    check_size,
    labels,
    masked_gram,
    parse_colour,
    plan_regions,
    read_mask,
    read_masks,
    region_style_loss,
)

ExtraLoss = Callable[[torch.Tensor], dict[str, torch.Tensor]]
StyleTerm = Callable[[dict[str, torch.Tensor]], torch.Tensor]
Box = tuple[int, int, int, int]  # y0, y1, x0, x1 in the full picture


def picture_key(image: torch.Tensor) -> tuple:
    """A cheap identity for a (1, 3, H, W) picture in [0, 1]: its size and uint8 digest."""
    pixels = (image.detach() * 255).round().to("cpu", torch.uint8).numpy()
    return image.shape[-2:], hashlib.blake2b(pixels.tobytes(), digest_size=16).digest()


class PhotoTerms:
    """The photorealism term and the region style term for one run.

    Args:
        options: ``options.photo`` says which terms; ``options.loss`` their distance.
        runtime: device for the Laplacians and masks.
        vgg: the optimizer's features (for the regions' style Grams).
        styles: the ``--style`` pictures, (H, W, 3) uint8.
    """

    def __init__(
        self, options: Options, runtime: Runtime, vgg: VGGFeatures, styles: list[np.ndarray]
    ) -> None:
        self.options, self.runtime, self.vgg = options, runtime, vgg
        p = options.photo
        self.weight = p.weight if p.enabled else 0.0
        self.regions: list[Region] = []
        self.content_mask: np.ndarray | None = None
        self.content_masks: list[np.ndarray] = []  # one, or one a frame (a mask video)
        if p.regions:
            self.content_masks = read_masks(p.content_mask, "--content-mask")
            self.content_mask = self.content_masks[0]
            style_mask = None
            if p.style_mask is not None:
                style_mask = read_mask(p.style_mask, "--style-mask")
                check_size(style_mask, styles[0].shape, "--style-mask", p.style_mask, "style")
            own = {
                parse_colour(c): read_mask(path, f"--region-style {c}")
                for c, path in p.region_styles
            }
            # Labels of all the frames' masks (stacked, so each frame's colours count).
            every = np.concatenate(self.content_masks)
            self.regions = plan_regions(every, styles, style_mask, own)
        self._grams: dict[int, list[dict[str, torch.Tensor]]] = {}
        self._ready: dict[tuple, torch.Tensor] = {}  # Laplacians built ahead, by picture
        self._lock = threading.Lock()

    def check_frames(self, frame_count: int | None) -> None:
        """A mask video must have the input's frame count (when the input's is known).

        Raises:
            InputError: the counts differ.
        """
        n = len(self.content_masks)
        if n > 1 and frame_count is not None and frame_count != n:
            raise InputError(
                f"--content-mask '{self.options.photo.content_mask}' has {n} frames but the "
                f"input has {frame_count}; give one mask a frame, or one picture for all"
            )

    def select(self, index: int) -> None:
        """Use frame ``index``'s mask (a mask video); one mask picture serves every frame.

        Raises:
            InputError: the mask video ran out before the input.
        """
        n = len(self.content_masks)
        if n <= 1:
            return
        if index >= n:
            raise InputError(
                f"--content-mask '{self.options.photo.content_mask}' has {n} frames but the "
                f"input has more (frame {index + 1}); give one mask a frame"
            )
        self.content_mask = self.content_masks[index]

    # Photorealism --------------------------------------------------------------------

    def laplacian(self, content: torch.Tensor) -> torch.Tensor:
        """The content's Matting Laplacian on the device (built ahead when it was)."""
        with self._lock:
            ready = self._ready.pop(picture_key(content), None)
        if ready is not None:
            return ready
        return matting_laplacian(content, device=self.runtime.device)

    def ahead(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        """Pass frames through, each one's Laplacian built on a thread before it is needed."""
        if not self.weight:
            yield from frames
            return

        def build() -> Iterator[Frame]:
            for frame in frames:
                content = to_tensor(frame.rgb)
                m = matting_laplacian(content, device=self.runtime.device)
                with self._lock:
                    self._ready[picture_key(content)] = m
                yield frame

        # Two ahead: a Laplacian is ~25 N floats, and building more only waits.
        yield from prefetch(build(), maxsize=2, name="laplacian")

    def extra(self, content: torch.Tensor, extra: ExtraLoss | None) -> ExtraLoss | None:
        """``extra`` plus the weighted photorealism term against ``content``'s Laplacian."""
        if not self.weight:
            return extra
        m = self.laplacian(content)
        weight = self.weight

        def terms(x: torch.Tensor) -> dict[str, torch.Tensor]:
            parts = extra(x) if extra is not None else {}
            parts["photo"] = weight * photo_loss(x, m)
            return parts

        return terms

    # Regions --------------------------------------------------------------------------

    def style_term(
        self, content: torch.Tensor, full: tuple[int, int] | None = None, box: Box | None = None
    ) -> StyleTerm | None:
        """The region style loss for an image the size of ``content``; None without masks.

        Args:
            content: (1, 3, h, w) content at this scale (or this tile).
            full: (H, W) of the whole picture when ``content`` is a tile of it.
            box: the tile's place in the whole picture.
        """
        if self.content_mask is None:
            return None
        h, w = content.shape[-2:]
        fh, fw = full or (h, w)
        check_size(self.content_mask, (fh, fw), "--content-mask", self.options.photo.content_mask,
                   "content")  # fmt: skip
        label_map = cv2.resize(self.content_mask, (fw, fh), interpolation=cv2.INTER_NEAREST)
        present = labels(label_map)  # of the whole picture, so a tile's colours snap alike
        if box is not None:
            y0, y1, x0, x1 = box
            present = {c: m[y0:y1, x0:x1] for c, m in present.items()}
        masks, shares, targets = [], [], []
        grams = self.region_grams(max(fh, fw))
        for region, target in zip(self.regions, grams, strict=True):
            m = present.get(region.colour)
            if m is None or not m.any():
                continue  # this tile holds none of that region
            masks.append(self.runtime.tensor(torch.from_numpy(m)[None, None]).float())
            shares.append(float(m.mean()))
            targets.append(target)
        total = sum(shares)
        shares = [s / total for s in shares]
        kind = self.options.loss.kind
        return lambda feats: region_style_loss(feats, targets, masks, shares, kind)

    def region_grams(self, long_side: int) -> list[dict[str, torch.Tensor]]:
        """Per region, layer -> (1, C, C) Gram of its style pixels (cached per size)."""
        side = max(MIN_SIDE, round(long_side * self.options.style.scale))
        if side not in self._grams:
            self._grams[side] = [self.grams_of(r, side) for r in self.regions]
        return self._grams[side]

    def grams_of(self, region: Region, side: int) -> dict[str, torch.Tensor]:
        h, w = region.style.shape[:2]
        scale = side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        picture = resize(region.style, *size)
        with torch.no_grad(), self.runtime.autocast():
            feats = self.vgg(self.runtime.tensor(to_tensor(picture)))
        out = {}
        for name in self.options.loss.style_layers:
            f = feats[name].float()
            if region.mask is None:
                out[name] = gram(f)
            else:
                mask = cv2.resize(region.mask, size, interpolation=cv2.INTER_AREA)
                out[name] = masked_gram(f, self.runtime.tensor(torch.from_numpy(mask)[None, None]))
        return out
