//! Tests of the model-backed embedders: MiniLM against sentence-transformers reference
//! vectors, a tiny random CLIP written to disk and loaded like a real checkpoint, and the
//! OpenAI-compatible HTTP embedder against a local server speaking that wire format.

mod clip;
mod cross_encoder;
mod http;
mod minilm;

pub(crate) fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
