//! CLIP: no weights exist offline, so the test writes a tiny randomly initialised CLIP
//! (safetensors + config.json + a word-level tokenizer.json) and loads it through
//! `ClipEmbedder::from_dir`, the same code path a real checkpoint takes.

use std::io::Cursor;
use std::path::Path;

use braid_vector::{ClipEmbedder, EmbedError, Embedder};
use candle_core::{DType, Device};
use candle_nn::{Init, VarBuilder, VarMap};
use candle_transformers::models::clip::text_model::{Activation, ClipTextConfig};
use candle_transformers::models::clip::vision_model::ClipVisionConfig;
use candle_transformers::models::clip::{ClipConfig, ClipModel};
use serde_json::json;

use super::{dot, norm};

const HIDDEN: usize = 32;
const PROJECTION: usize = 24;
const IMAGE: usize = 32;
const PATCH: usize = 8;
const POSITIONS: usize = 16;
const WORDS: [&str; 12] = ["a", "photo", "of", "cat", "dog", "red", "blue", "car", "the", "koala", "tree", "sky"];

/// Writes a tiny random CLIP into `dir`, like a checkpoint downloaded from the hub.
fn write_tiny_clip(dir: &Path) {
    // Vocabulary: [unk], start, the words, end last (CLIP's end token has the top id).
    let mut vocab = serde_json::Map::new();
    vocab.insert("<unk>".into(), json!(0));
    vocab.insert("<|startoftext|>".into(), json!(1));
    for (i, w) in WORDS.iter().enumerate() {
        vocab.insert((*w).into(), json!(i + 2));
    }
    let eos = WORDS.len() + 2;
    vocab.insert("<|endoftext|>".into(), json!(eos));
    let vocab_size = eos + 1;
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [
            {"id": 1, "content": "<|startoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": eos, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
        ],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}
            ],
            "pair": [
                {"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}
            ],
            "special_tokens": {
                "<|startoftext|>": {"id": "<|startoftext|>", "ids": [1], "tokens": ["<|startoftext|>"]},
                "<|endoftext|>": {"id": "<|endoftext|>", "ids": [eos], "tokens": ["<|endoftext|>"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    });
    std::fs::write(dir.join("tokenizer.json"), serde_json::to_vec_pretty(&tokenizer).unwrap()).unwrap();

    let config = json!({
        "model_type": "clip",
        "projection_dim": PROJECTION,
        "text_config": {
            "vocab_size": vocab_size, "hidden_size": HIDDEN, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": POSITIONS,
            "hidden_act": "quick_gelu"
        },
        "vision_config": {
            "hidden_size": HIDDEN, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "image_size": IMAGE, "patch_size": PATCH, "hidden_act": "quick_gelu"
        }
    });
    std::fs::write(dir.join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();

    let clip = ClipConfig {
        text_config: ClipTextConfig {
            vocab_size,
            embed_dim: HIDDEN,
            activation: Activation::QuickGelu,
            intermediate_size: 64,
            max_position_embeddings: POSITIONS,
            pad_with: None,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            projection_dim: PROJECTION,
        },
        vision_config: ClipVisionConfig {
            embed_dim: HIDDEN,
            activation: Activation::QuickGelu,
            intermediate_size: 64,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            projection_dim: PROJECTION,
            num_channels: 3,
            image_size: IMAGE,
            patch_size: PATCH,
        },
        logit_scale_init_value: 2.6592,
        image_size: IMAGE,
    };
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    // Created first, or ClipModel::new draws them outside the VarMap and they are not saved.
    vb.get_with_hints(HIDDEN, "vision_model.embeddings.class_embedding", Init::Randn { mean: 0.0, stdev: 1.0 })
        .unwrap();
    vb.get_with_hints((), "logit_scale", Init::Const(2.6592)).unwrap();
    ClipModel::new(vb, &clip).unwrap();
    varmap.save(dir.join("model.safetensors")).unwrap();
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    img.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

fn tiny_clip() -> (tempfile::TempDir, ClipEmbedder) {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_clip(dir.path());
    let clip = ClipEmbedder::from_dir(dir.path()).unwrap();
    (dir, clip)
}

#[test]
fn tiny_clip_embeds_text_and_images_into_one_unit_space() {
    let (dir, clip) = tiny_clip();
    assert!(clip.is_multimodal());
    assert_eq!(clip.dimension(), PROJECTION);
    assert_eq!(clip.name(), "clip-24");
    assert_eq!(clip.preprocess().crop_size, IMAGE);

    let texts = ["a photo of a cat", "the blue car", "koala", "a red dog under the sky tree"];
    let t = clip.embed_texts(&texts).unwrap();
    assert_eq!(t.len(), 4);
    for v in &t {
        assert_eq!(v.len(), PROJECTION);
        assert!((norm(v) - 1.0).abs() < 1e-4);
    }
    // Deterministic, and padding in a batch does not change a text's vector.
    for (i, text) in texts.iter().enumerate() {
        let alone = clip.embed_text(text).unwrap();
        assert!(dot(&alone, &t[i]) > 0.99999, "text {i} changed with batching");
    }
    assert!(dot(&t[0], &t[1]) < 0.9999, "different texts must differ");
    // Same weights loaded again give the same vectors.
    let again = ClipEmbedder::from_dir(dir.path()).unwrap();
    assert!(dot(&again.embed_text(texts[0]).unwrap(), &t[0]) > 0.99999);

    let gradient = image::RgbImage::from_fn(48, 40, |x, y| image::Rgb([(x * 5) as u8, (y * 6) as u8, 90]));
    let flat = image::RgbImage::from_pixel(20, 64, image::Rgb([200, 30, 30]));
    let png = encode(&gradient, image::ImageFormat::Png);
    let jpeg = encode(&gradient, image::ImageFormat::Jpeg);
    let webp = encode(&gradient, image::ImageFormat::WebP);
    let flat_png = encode(&flat, image::ImageFormat::Png);
    let imgs = clip.embed_images(&[&png, &jpeg, &webp, &flat_png]).unwrap();
    assert_eq!(imgs.len(), 4);
    for v in &imgs {
        assert_eq!(v.len(), clip.dimension(), "text and image vectors share one space");
        assert!((norm(v) - 1.0).abs() < 1e-4);
    }
    assert!(dot(&imgs[0], &imgs[2]) > 0.99999, "lossless WebP and PNG of one image agree");
    assert!(dot(&imgs[0], &imgs[1]) > 0.99, "JPEG is close to the PNG");
    assert!(dot(&imgs[0], &imgs[3]) < 0.9999, "different images differ");
    let again = clip.embed_images(&[&png]).unwrap();
    assert!(dot(&again[0], &imgs[0]) > 0.99999);
    // A text query scores against images (cosine within [-1, 1]).
    let s = dot(&t[0], &imgs[0]);
    assert!((-1.0001..=1.0001).contains(&s));
}

#[test]
fn tiny_clip_refuses_bad_input() {
    let (_dir, clip) = tiny_clip();
    let png = encode(&image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3])), image::ImageFormat::Png);
    match clip.embed_images(&[&png, b"GIF89a not really"]) {
        Err(EmbedError::InvalidInput(m)) => assert!(m.contains("image 1"), "{m}"),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    let mut cut = png.clone();
    cut.truncate(png.len() / 2);
    assert!(matches!(clip.embed_images(&[&cut]), Err(EmbedError::InvalidInput(_))));
    assert!(matches!(clip.embed_images(&[b"".as_slice()]), Err(EmbedError::Empty { index: 0 })));
    assert!(matches!(clip.embed_texts(&["cat", ""]), Err(EmbedError::Empty { index: 1 })));
    // Longer than the 16 positions: truncated, not an error.
    let long = ["cat"; 100].join(" ");
    assert_eq!(clip.embed_text(&long).unwrap().len(), PROJECTION);
}

#[test]
fn clip_folder_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let err = ClipEmbedder::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("model.safetensors") && err.contains("tokenizer.json"), "{err}");
    // A safetensors file that is not a CLIP checkpoint.
    write_tiny_clip(dir.path());
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    vb.get_with_hints(4, "something.else", Init::Const(1.0)).unwrap();
    varmap.save(dir.path().join("model.safetensors")).unwrap();
    let err = ClipEmbedder::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a CLIPModel checkpoint"), "{err}");
}
