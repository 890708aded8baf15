//! The candle cross-encoder reranker, on a tiny random BERT cross-encoder the test writes to
//! disk (safetensors with `bert.*`, `bert.pooler.dense` and `classifier` tensors, config.json,
//! a word-level tokenizer.json with BERT's pair template), loaded like a real checkpoint.

use std::path::Path;

use braid_vector::{CrossEncoderReranker, Reranker};
use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use serde_json::json;

const WORDS: [&str; 12] =
    ["koala", "eats", "leaves", "paris", "is", "in", "france", "what", "do", "koalas", "eat", "the"];
const HIDDEN: usize = 16;

fn write_tiny_cross_encoder(dir: &Path) {
    let mut vocab = serde_json::Map::new();
    for (i, w) in ["[PAD]", "[UNK]", "[CLS]", "[SEP]"].iter().chain(WORDS.iter()).enumerate() {
        vocab.insert((*w).into(), json!(i));
    }
    let vocab_size = vocab.len();
    let special = |id: usize, content: &str| {
        json!({"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
               "normalized": false, "special": true})
    };
    let tokenizer = json!({
        "version": "1.0", "truncation": null, "padding": null,
        "added_tokens": [special(0, "[PAD]"), special(1, "[UNK]"), special(2, "[CLS]"), special(3, "[SEP]")],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    });
    std::fs::write(dir.join("tokenizer.json"), serde_json::to_vec_pretty(&tokenizer).unwrap()).unwrap();
    let config = json!({
        "model_type": "bert", "vocab_size": vocab_size, "hidden_size": HIDDEN, "num_hidden_layers": 2,
        "num_attention_heads": 2, "intermediate_size": 32, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
        "max_position_embeddings": 64, "type_vocab_size": 2, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 0
    });
    std::fs::write(dir.join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    let bert: BertConfig = serde_json::from_value(config).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    BertModel::load(vb.pp("bert"), &bert).unwrap();
    candle_nn::linear(HIDDEN, HIDDEN, vb.pp("bert.pooler.dense")).unwrap();
    candle_nn::linear(HIDDEN, 1, vb.pp("classifier")).unwrap();
    varmap.save(dir.join("model.safetensors")).unwrap();
}

#[test]
fn a_tiny_cross_encoder_scores_every_pair_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_cross_encoder(dir.path());
    let reranker = CrossEncoderReranker::from_dir(dir.path()).expect("loads like a real checkpoint");
    assert!(reranker.name().starts_with("cross-encoder"), "{}", reranker.name());
    let docs = ["koala eats leaves", "paris is in france", "the koala"];
    let scores = reranker.rerank("what do koalas eat", &docs).unwrap();
    assert_eq!(scores.len(), 3);
    assert!(scores.iter().all(|s| s.is_finite()));
    assert_eq!(scores, reranker.rerank("what do koalas eat", &docs).unwrap(), "deterministic");
    // The pair is read together: the same text scores differently for another query, and a
    // batch of more than one forward pass (16 pairs) gives each text the score it gets alone.
    let other = reranker.rerank("paris", &docs).unwrap();
    assert_ne!(scores, other);
    let many: Vec<&str> = docs.iter().cycle().take(40).copied().collect();
    let long = reranker.rerank("what do koalas eat", &many).unwrap();
    for (i, s) in long.iter().enumerate() {
        assert!((s - scores[i % 3]).abs() < 1e-4, "pair {i}: {s} vs {}", scores[i % 3]);
    }
    assert!(reranker.rerank(" ", &docs).is_err(), "a blank query is refused");
    assert!(reranker.rerank("koala", &[]).unwrap().is_empty());
}

#[test]
fn a_folder_without_a_cross_encoder_is_refused_with_the_missing_part() {
    let dir = tempfile::tempdir().unwrap();
    let err = CrossEncoderReranker::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("model.safetensors") && err.contains("tokenizer.json"), "{err}");
    // A BERT without the classification head.
    write_tiny_cross_encoder(dir.path());
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let bert: BertConfig = serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    BertModel::load(vb.pp("bert"), &bert).unwrap();
    varmap.save(dir.path().join("model.safetensors")).unwrap();
    let err = CrossEncoderReranker::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("pooler") || err.contains("classifier"), "{err}");
}
