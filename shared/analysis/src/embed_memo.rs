//! Remembers the vectors of quotes already embedded, so a project report rebuilt after one more
//! interview is ready embeds that interview's quotes only. The forward pass is nearly all of a
//! report build's cost (about 50 ms a quote here), and the report is rebuilt from every
//! interview's evidence each time.

use super::embed::{EmbedError, Embedder};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// At most this many vectors are kept (384 floats each: about 80 MB). When full, the memo
/// starts over: memory stays bounded and the next build re-embeds what it needs.
pub const MAX_REMEMBERED: usize = 50_000;

/// An [`Embedder`] that embeds each distinct text once per process.
pub struct MemoEmbedder {
    inner: Box<dyn Embedder>,
    /// Keyed by a hash of the text, so the memo holds no interview content.
    vectors: Mutex<HashMap<u64, Vec<f32>>>,
    capacity: usize,
}

impl MemoEmbedder {
    /// Remembers up to [`MAX_REMEMBERED`] vectors of `inner`.
    pub fn new(inner: Box<dyn Embedder>) -> Self {
        Self::with_capacity(inner, MAX_REMEMBERED)
    }

    /// Remembers up to `capacity` vectors (tests use a small one).
    pub fn with_capacity(inner: Box<dyn Embedder>, capacity: usize) -> Self {
        Self {
            inner,
            vectors: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Vectors held now.
    pub fn remembered(&self) -> usize {
        self.vectors.lock().map_or(0, |v| v.len())
    }
}

fn key(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl Embedder for MemoEmbedder {
    fn model(&self) -> &str {
        self.inner.model()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let keys: Vec<u64> = texts.iter().map(|t| key(t)).collect();
        let missing: Vec<usize> = {
            let vectors = self
                .vectors
                .lock()
                .map_err(|_| EmbedError::Inference("the memo lock is poisoned".into()))?;
            let mut seen = std::collections::HashSet::new();
            (0..texts.len())
                .filter(|&i| !vectors.contains_key(&keys[i]) && seen.insert(keys[i]))
                .collect()
        };
        // The forward pass runs without the lock, so concurrent callers are not serialised on it.
        let fresh = if missing.is_empty() {
            Vec::new()
        } else {
            let batch: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let fresh = self.inner.embed(&batch)?;
            if fresh.len() != batch.len() {
                return Err(EmbedError::Inference(format!(
                    "the model returned {} vectors for {} texts",
                    fresh.len(),
                    batch.len()
                )));
            }
            fresh
        };
        let mut vectors = self
            .vectors
            .lock()
            .map_err(|_| EmbedError::Inference("the memo lock is poisoned".into()))?;
        let mut fresh_by_key: HashMap<u64, Vec<f32>> = missing.iter().map(|&i| keys[i]).zip(fresh).collect();
        let out = keys
            .iter()
            .map(|k| {
                fresh_by_key
                    .get(k)
                    .or_else(|| vectors.get(k))
                    .cloned()
                    .ok_or_else(|| EmbedError::Inference("a remembered vector went missing".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if vectors.len() + fresh_by_key.len() > self.capacity {
            vectors.clear();
        }
        vectors.extend(fresh_by_key.drain().take(self.capacity));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Embeds a text as its length and first byte, counting the texts it was asked for.
    struct Counting(Arc<AtomicUsize>);

    impl Embedder for Counting {
        fn model(&self) -> &str {
            "counting"
        }

        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.0.fetch_add(texts.len(), Ordering::Relaxed);
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, f32::from(t.bytes().next().unwrap_or(0))])
                .collect())
        }
    }

    #[test]
    fn each_distinct_text_is_embedded_once_and_answers_keep_their_order() {
        let calls = Arc::new(AtomicUsize::new(0));
        let memo = MemoEmbedder::new(Box::new(Counting(calls.clone())));
        let first = memo.embed(&["alpha", "be", "alpha"]).unwrap();
        assert_eq!(first, vec![vec![5.0, 97.0], vec![2.0, 98.0], vec![5.0, 97.0]]);
        assert_eq!(calls.load(Ordering::Relaxed), 2, "the repeated text is embedded once");
        let second = memo.embed(&["be", "gamma", "alpha"]).unwrap();
        assert_eq!(second, vec![vec![2.0, 98.0], vec![5.0, 103.0], vec![5.0, 97.0]]);
        assert_eq!(calls.load(Ordering::Relaxed), 3, "only the new text reaches the model");
        assert_eq!(memo.remembered(), 3);
    }

    #[test]
    fn the_memo_never_holds_more_than_its_capacity() {
        let calls = Arc::new(AtomicUsize::new(0));
        let memo = MemoEmbedder::with_capacity(Box::new(Counting(calls.clone())), 4);
        let texts: Vec<String> = (0..10).map(|n| format!("text {n}")).collect();
        for chunk in texts.chunks(3) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            assert_eq!(memo.embed(&refs).unwrap().len(), refs.len());
            assert!(memo.remembered() <= 4, "{} remembered", memo.remembered());
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        assert_eq!(
            memo.embed(&refs).unwrap().len(),
            10,
            "a batch larger than the memo is still answered"
        );
        assert!(memo.remembered() <= 4);
    }
}
