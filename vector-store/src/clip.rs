//! [`ClipEmbedder`]: CLIP through candle — a text tower and an image tower projected into
//! one shared space, so a text query retrieves images by their pixels.
//!
//! The model is a Hugging Face CLIP checkpoint (e.g. `openai/clip-vit-base-patch32`) in a
//! folder with `model.safetensors`, `tokenizer.json` and, optionally, `config.json` (sizes;
//! without it the ViT-B/32 sizes are assumed) and `preprocessor_config.json` (image size,
//! mean and standard deviation). Tensor names follow `transformers`' `CLIPModel`.
//!
//! Text: tokenized with the model's tokenizer (start and end tokens added by its
//! post-processor), truncated to the model's positions (77), run through the causal text
//! transformer; the state at the end-of-text token (the last token) is projected.
//!
//! Images, preprocessed as `CLIPImageProcessor` does: decoded (PNG, JPEG, WebP), converted
//! to RGB, resized so the shortest side is `image_size` with a bicubic filter, centre
//! cropped to `image_size`², rescaled by 1/255, normalised per channel with CLIP's mean and
//! standard deviation; the vision transformer's pooled class token is projected.
//!
//! Both towers' outputs are L2-normalised, so cosine and dot product agree.

use std::io::Cursor;
use std::path::Path;

use candle_core::{Device, IndexOp, Module, Tensor};
use candle_transformers::models::clip::text_model::{Activation, ClipTextConfig, ClipTextTransformer};
use candle_transformers::models::clip::vision_model::{ClipVisionConfig, ClipVisionTransformer};
use serde::Deserialize;
use tokenizers::Encoding;

use crate::embed::{Embedder, embed_in_batches};
use crate::error::EmbedError;
use crate::local_model::{ModelTokenizer, candle_error, mmap_weights, unit_rows};
use crate::model_files::{ModelDir, hub_snapshot};

/// The hub repository of the default CLIP model.
pub const CLIP_HUB_REPO: &str = "openai/clip-vit-base-patch32";

/// `CLIPImageProcessor`'s default per-channel mean.
pub const CLIP_IMAGE_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
/// `CLIPImageProcessor`'s default per-channel standard deviation.
pub const CLIP_IMAGE_STD: [f32; 3] = [0.268_629_54, 0.261_302_6, 0.275_777_1];

/// How many texts or images run through a tower together.
const BATCH: usize = 16;

const REQUIRED_FILES: [&str; 2] = ["model.safetensors", "tokenizer.json"];

/// Sizes of a CLIP model as in `transformers`' `config.json`; absent fields take
/// `CLIPConfig`'s defaults (which are ViT-B/32's).
#[derive(Debug, Default, Deserialize)]
struct HfClipConfig {
    #[serde(default)]
    text_config: HfTowerConfig,
    #[serde(default)]
    vision_config: HfTowerConfig,
    projection_dim: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
struct HfTowerConfig {
    vocab_size: Option<usize>,
    hidden_size: Option<usize>,
    intermediate_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    max_position_embeddings: Option<usize>,
    projection_dim: Option<usize>,
    image_size: Option<usize>,
    patch_size: Option<usize>,
    num_channels: Option<usize>,
    hidden_act: Option<String>,
}

/// The image preprocessing settings (`preprocessor_config.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClipPreprocess {
    /// The shortest side after resizing.
    pub shortest_edge: usize,
    /// The side of the square centre crop; the model's input size.
    pub crop_size: usize,
    /// Multiplier taking 0..=255 pixel values to 0..=1.
    pub rescale_factor: f32,
    /// Per-channel mean subtracted after rescaling.
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by after subtracting the mean.
    pub std: [f32; 3],
}

impl ClipPreprocess {
    /// CLIP's defaults for a model taking `image_size`² pixels.
    pub fn for_image_size(image_size: usize) -> Self {
        ClipPreprocess {
            shortest_edge: image_size,
            crop_size: image_size,
            rescale_factor: 1.0 / 255.0,
            mean: CLIP_IMAGE_MEAN,
            std: CLIP_IMAGE_STD,
        }
    }

    /// Overlays the fields of a `preprocessor_config.json` onto the defaults.
    fn overlay(mut self, json: &serde_json::Value) -> Self {
        let size = |v: Option<&serde_json::Value>, keys: &[&str]| -> Option<usize> {
            let v = v?;
            if let Some(n) = v.as_u64() {
                return Some(n as usize);
            }
            keys.iter().find_map(|k| v.get(*k).and_then(|n| n.as_u64())).map(|n| n as usize)
        };
        let triple = |v: Option<&serde_json::Value>| -> Option<[f32; 3]> {
            let a = v?.as_array()?;
            if a.len() != 3 {
                return None;
            }
            Some([a[0].as_f64()? as f32, a[1].as_f64()? as f32, a[2].as_f64()? as f32])
        };
        if let Some(s) = size(json.get("size"), &["shortest_edge", "height"]) {
            self.shortest_edge = s;
        }
        if let Some(s) = size(json.get("crop_size"), &["height", "width"]) {
            self.crop_size = s;
        }
        if let Some(f) = json.get("rescale_factor").and_then(|f| f.as_f64()) {
            self.rescale_factor = f as f32;
        }
        if let Some(m) = triple(json.get("image_mean")) {
            self.mean = m;
        }
        if let Some(s) = triple(json.get("image_std")) {
            self.std = s;
        }
        self
    }

    /// Decodes one encoded image and returns its `(3, crop, crop)` pixel values.
    pub fn pixels(&self, bytes: &[u8]) -> Result<Vec<f32>, String> {
        let reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
        if reader.format().is_none() {
            return Err("not a PNG, JPEG or WebP image".into());
        }
        let img = reader.decode().map_err(|e| e.to_string())?.to_rgb8();
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Err("image has no pixels".into());
        }
        // Shortest side to `shortest_edge`, the other scaled alike and truncated, as
        // `transformers.image_transforms.get_resize_output_image_size` does.
        let edge = self.shortest_edge as u64;
        let (nw, nh) = if w <= h {
            (edge, (edge * u64::from(h) / u64::from(w)).max(1))
        } else {
            ((edge * u64::from(w) / u64::from(h)).max(1), edge)
        };
        let resized = image::imageops::resize(&img, nw as u32, nh as u32, image::imageops::FilterType::CatmullRom);
        // Centre crop; a crop larger than the image is padded with zeros, as HF does.
        let crop = self.crop_size as i64;
        let top = (nh as i64 - crop).div_euclid(2);
        let left = (nw as i64 - crop).div_euclid(2);
        let plane = self.crop_size * self.crop_size;
        let mut out = vec![0f32; 3 * plane];
        for y in 0..crop {
            for x in 0..crop {
                let (sx, sy) = (x + left, y + top);
                let inside = sx >= 0 && sy >= 0 && (sx as u64) < nw && (sy as u64) < nh;
                let px = if inside { resized.get_pixel(sx as u32, sy as u32).0 } else { [0, 0, 0] };
                let at = (y * crop + x) as usize;
                for c in 0..3 {
                    out[c * plane + at] = (f32::from(px[c]) * self.rescale_factor - self.mean[c]) / self.std[c];
                }
            }
        }
        Ok(out)
    }
}

/// A CLIP text + image embedder (see the module docs).
pub struct ClipEmbedder {
    text: ClipTextTransformer,
    vision: ClipVisionTransformer,
    text_projection: candle_nn::Linear,
    visual_projection: candle_nn::Linear,
    tokenizer: ModelTokenizer,
    preprocess: ClipPreprocess,
    device: Device,
    dimension: usize,
    name: String,
}

impl std::fmt::Debug for ClipEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipEmbedder")
            .field("name", &self.name)
            .field("preprocess", &self.preprocess)
            .finish_non_exhaustive()
    }
}

fn activation(name: Option<&str>) -> Result<Activation, EmbedError> {
    match name {
        None | Some("quick_gelu") => Ok(Activation::QuickGelu),
        Some(other) => Err(EmbedError::Backend(format!(
            "CLIP hidden_act `{other}` is not supported by candle's CLIP; only quick_gelu is"
        ))),
    }
}

/// Turns `config.json` into candle's hand-filled configs, with `CLIPConfig` defaults.
fn candle_configs(cfg: &HfClipConfig) -> Result<(ClipTextConfig, ClipVisionConfig), EmbedError> {
    let (t, v) = (&cfg.text_config, &cfg.vision_config);
    let base_text = ClipTextConfig::vit_base_patch32();
    let base_vision = ClipVisionConfig::vit_base_patch32();
    let projection = cfg.projection_dim;
    let text = ClipTextConfig {
        vocab_size: t.vocab_size.unwrap_or(base_text.vocab_size),
        embed_dim: t.hidden_size.unwrap_or(base_text.embed_dim),
        activation: activation(t.hidden_act.as_deref())?,
        intermediate_size: t.intermediate_size.unwrap_or(base_text.intermediate_size),
        max_position_embeddings: t.max_position_embeddings.unwrap_or(base_text.max_position_embeddings),
        pad_with: None,
        num_hidden_layers: t.num_hidden_layers.unwrap_or(base_text.num_hidden_layers),
        num_attention_heads: t.num_attention_heads.unwrap_or(base_text.num_attention_heads),
        projection_dim: projection.or(t.projection_dim).unwrap_or(base_text.projection_dim),
    };
    let vision = ClipVisionConfig {
        embed_dim: v.hidden_size.unwrap_or(base_vision.embed_dim),
        activation: activation(v.hidden_act.as_deref())?,
        intermediate_size: v.intermediate_size.unwrap_or(base_vision.intermediate_size),
        num_hidden_layers: v.num_hidden_layers.unwrap_or(base_vision.num_hidden_layers),
        num_attention_heads: v.num_attention_heads.unwrap_or(base_vision.num_attention_heads),
        projection_dim: projection.or(v.projection_dim).unwrap_or(base_vision.projection_dim),
        num_channels: v.num_channels.unwrap_or(base_vision.num_channels),
        image_size: v.image_size.unwrap_or(base_vision.image_size),
        patch_size: v.patch_size.unwrap_or(base_vision.patch_size),
    };
    if text.projection_dim != vision.projection_dim {
        return Err(EmbedError::Backend(format!(
            "CLIP towers project to different sizes (text {}, vision {})",
            text.projection_dim, vision.projection_dim
        )));
    }
    for (what, hidden, heads) in
        [("text", text.embed_dim, text.num_attention_heads), ("vision", vision.embed_dim, vision.num_attention_heads)]
    {
        if heads == 0 || !hidden.is_multiple_of(heads) {
            return Err(EmbedError::Backend(format!(
                "CLIP {what} hidden size {hidden} is not divisible by {heads} heads"
            )));
        }
    }
    if vision.patch_size == 0 || !vision.image_size.is_multiple_of(vision.patch_size) || vision.num_channels != 3 {
        return Err(EmbedError::Backend(format!(
            "CLIP vision config needs 3 channels and an image size divisible by the patch size (got {} channels, {} px, patch {})",
            vision.num_channels, vision.image_size, vision.patch_size
        )));
    }
    Ok((text, vision))
}

impl ClipEmbedder {
    /// Loads a CLIP checkpoint from a folder (see the module docs for the files).
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Self, EmbedError> {
        Self::load(ModelDir::open(path.as_ref(), &REQUIRED_FILES)?)
    }

    /// Loads `repo` (e.g. [`CLIP_HUB_REPO`]) from the local Hugging Face hub cache; never
    /// downloads.
    pub fn from_hub_cache(repo: &str) -> Result<Self, EmbedError> {
        Self::load(hub_snapshot(repo, &REQUIRED_FILES)?)
    }

    fn load(dir: ModelDir) -> Result<Self, EmbedError> {
        let hf: HfClipConfig = dir.optional_config("config.json", "a CLIP config")?.unwrap_or_default();
        let (text_cfg, vision_cfg) = candle_configs(&hf)?;
        let preprocess = match dir.optional_json("preprocessor_config.json")? {
            Some(v) => ClipPreprocess::for_image_size(vision_cfg.image_size).overlay(&v),
            None => ClipPreprocess::for_image_size(vision_cfg.image_size),
        };
        if preprocess.crop_size != vision_cfg.image_size {
            return Err(EmbedError::Backend(format!(
                "preprocessor crop size {} differs from the model's image size {}",
                preprocess.crop_size, vision_cfg.image_size
            )));
        }

        let tokenizer = ModelTokenizer::load(&dir, text_cfg.max_position_embeddings, |_| 0)?;

        let device = Device::Cpu;
        let vb = mmap_weights(&dir, &device)?;
        // Without these two tensors candle would silently draw random ones.
        for name in ["vision_model.embeddings.class_embedding", "text_projection.weight", "visual_projection.weight"] {
            if !vb.contains_tensor(name) {
                return Err(EmbedError::Backend(format!(
                    "model.safetensors has no tensor `{name}`: not a CLIPModel checkpoint"
                )));
            }
        }
        let load = || -> candle_core::Result<_> {
            let text = ClipTextTransformer::new(vb.pp("text_model"), &text_cfg)?;
            let vision = ClipVisionTransformer::new(vb.pp("vision_model"), &vision_cfg)?;
            let text_projection =
                candle_nn::linear_no_bias(text_cfg.embed_dim, text_cfg.projection_dim, vb.pp("text_projection"))?;
            let visual_projection =
                candle_nn::linear_no_bias(vision_cfg.embed_dim, vision_cfg.projection_dim, vb.pp("visual_projection"))?;
            Ok((text, vision, text_projection, visual_projection))
        };
        let (text, vision, text_projection, visual_projection) =
            load().map_err(candle_error("loading the CLIP weights"))?;
        let dimension = text_cfg.projection_dim;
        Ok(ClipEmbedder {
            text,
            vision,
            text_projection,
            visual_projection,
            tokenizer,
            preprocess,
            device,
            dimension,
            name: format!("clip-{dimension}"),
        })
    }

    /// The image preprocessing in use.
    pub fn preprocess(&self) -> &ClipPreprocess {
        &self.preprocess
    }

    fn text_batch(&self, encodings: &[Encoding]) -> candle_core::Result<Vec<Vec<f32>>> {
        let ids = self.tokenizer.pad(encodings).ids(&self.device)?;
        // The mask is causal, so padding after a text never changes its states.
        let states = self.text.forward_with_mask(&ids, usize::MAX)?; // (rows, width, hidden)
        let pooled = encodings
            .iter()
            .enumerate()
            .map(|(r, e)| states.i((r, e.get_ids().len().saturating_sub(1)))?.unsqueeze(0))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let features = Tensor::cat(&pooled, 0)?.apply(&self.text_projection)?;
        unit_rows(&features)
    }
}

impl Embedder for ClipEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        embed_in_batches(texts, BATCH, |chunk| {
            let encodings = self.tokenizer.encode(chunk)?;
            if encodings.iter().any(|e| e.get_ids().len() > self.tokenizer.max_tokens()) {
                return Err(EmbedError::Backend("tokenizer ignored truncation".into()));
            }
            self.text_batch(&encodings).map_err(candle_error("running the CLIP text tower"))
        })
    }

    fn is_multimodal(&self) -> bool {
        true
    }

    fn embed_images(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let side = self.preprocess.crop_size;
        let mut out = Vec::with_capacity(images.len());
        for (start, chunk) in images.chunks(BATCH).enumerate().map(|(n, c)| (n * BATCH, c)) {
            let mut pixels = Vec::with_capacity(chunk.len() * 3 * side * side);
            for (offset, bytes) in chunk.iter().enumerate() {
                let index = start + offset;
                if bytes.is_empty() {
                    return Err(EmbedError::Empty { index });
                }
                let p = self
                    .preprocess
                    .pixels(bytes)
                    .map_err(|e| EmbedError::InvalidInput(format!("image {index} cannot be read: {e}")))?;
                pixels.extend(p);
            }
            let run = || -> candle_core::Result<Vec<Vec<f32>>> {
                let x = Tensor::from_vec(pixels, (chunk.len(), 3, side, side), &self.device)?;
                let features = self.vision.forward(&x)?.apply(&self.visual_projection)?;
                unit_rows(&features)
            };
            out.extend(run().map_err(candle_error("running the CLIP image tower"))?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb(f(x, y)));
        let mut bytes = Vec::new();
        img.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
        bytes
    }

    #[test]
    fn preprocessing_normalises_a_flat_image_to_the_clip_constants() {
        let pre = ClipPreprocess::for_image_size(8);
        // A wide flat image: resize to 8 high, crop 8x8, every pixel the same value.
        let p = pre.pixels(&png(40, 20, |_, _| [255, 0, 128])).unwrap();
        assert_eq!(p.len(), 3 * 64);
        let expect = [
            (1.0 - CLIP_IMAGE_MEAN[0]) / CLIP_IMAGE_STD[0],
            (0.0 - CLIP_IMAGE_MEAN[1]) / CLIP_IMAGE_STD[1],
            (128.0 / 255.0 - CLIP_IMAGE_MEAN[2]) / CLIP_IMAGE_STD[2],
        ];
        for c in 0..3 {
            for v in &p[c * 64..(c + 1) * 64] {
                assert!((v - expect[c]).abs() < 1e-4, "channel {c}: {v} vs {}", expect[c]);
            }
        }
    }

    #[test]
    fn preprocessing_crops_the_centre() {
        let pre = ClipPreprocess::for_image_size(4);
        // 4 high, 12 wide: left third red, middle green, right blue; the crop is the middle.
        let p = pre.pixels(&png(12, 4, |x, _| match x / 4 {
            0 => [255, 0, 0],
            1 => [0, 255, 0],
            _ => [0, 0, 255],
        }));
        let p = p.unwrap();
        let green_hi = (1.0 - CLIP_IMAGE_MEAN[1]) / CLIP_IMAGE_STD[1];
        // Middle columns are pure green even after the bicubic pass (no resize needed here).
        for y in 0..4 {
            for x in 1..3 {
                assert!((p[16 + y * 4 + x] - green_hi).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn preprocessing_reads_preprocessor_config() {
        let json = serde_json::json!({
            "size": {"shortest_edge": 256}, "crop_size": {"height": 224, "width": 224},
            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "rescale_factor": 0.00392156862745098
        });
        let pre = ClipPreprocess::for_image_size(224).overlay(&json);
        assert_eq!((pre.shortest_edge, pre.crop_size, pre.mean, pre.std), (256, 224, [0.5; 3], [0.5; 3]));
    }

    #[test]
    fn unreadable_bytes_are_refused() {
        let pre = ClipPreprocess::for_image_size(8);
        assert!(pre.pixels(b"definitely not an image").is_err());
        let mut truncated = png(10, 10, |_, _| [1, 2, 3]);
        truncated.truncate(30);
        assert!(pre.pixels(&truncated).is_err());
    }

    #[test]
    fn config_defaults_are_vit_b32_and_bad_activations_are_refused() {
        let (t, v) = candle_configs(&HfClipConfig::default()).unwrap();
        assert_eq!((t.embed_dim, t.projection_dim, v.embed_dim, v.image_size, v.patch_size), (512, 512, 768, 224, 32));
        let cfg: HfClipConfig =
            serde_json::from_value(serde_json::json!({"text_config": {"hidden_act": "gelu"}})).unwrap();
        assert!(candle_configs(&cfg).is_err());
    }
}
