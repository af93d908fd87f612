//! The rounds of a 2026-07-28 multi-round-trip request: the answers the client has given so
//! far, and the input requests the handler made that are still unanswered.

use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// What one round of a modern request knows and collects.
///
/// The dispatcher fills it with the answers (earlier rounds' from the opened `requestState`,
/// this round's from `inputResponses`); the handler's asks read them by key or, when an answer
/// is missing, add an input request. If any was added when the handler returns, the call ends
/// with an input-required result.
#[derive(Debug, Default)]
pub struct Rounds {
    answers: Map<String, Value>,
    resumed: bool,
    used: Mutex<Map<String, Value>>,
    asked: Mutex<Map<String, Value>>,
    numbers: Mutex<HashMap<&'static str, u32>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Rounds {
    /// A round with `answers`; `resumed` when it came with a verified `requestState`.
    pub fn new(answers: Map<String, Value>, resumed: bool) -> Self {
        Self {
            answers,
            resumed,
            ..Self::default()
        }
    }

    /// Whether this round continues an earlier one (it carried a verified `requestState`).
    pub fn resumed(&self) -> bool {
        self.resumed
    }

    /// The next default key for a request of `kind` (`elicitation-1`, `elicitation-2`, …).
    pub(crate) fn next_key(&self, kind: &'static str) -> String {
        let mut numbers = lock(&self.numbers);
        let n = numbers.entry(kind).or_insert(0);
        *n += 1;
        format!("{kind}-{n}")
    }

    /// The answer under `key`, if the client gave one; it is carried to later rounds.
    pub(crate) fn answer(&self, key: &str) -> Option<Value> {
        let answer = self.answers.get(key)?.clone();
        lock(&self.used).insert(key.to_owned(), answer.clone());
        Some(answer)
    }

    /// Adds an input request under `key`.
    pub(crate) fn ask(&self, key: String, method: &str, params: Value) {
        lock(&self.asked).insert(key, json!({ "method": method, "params": params }));
    }

    /// The input requests the handler made and that are unanswered, if any.
    pub fn input_requests(&self) -> Option<Map<String, Value>> {
        let asked = lock(&self.asked);
        (!asked.is_empty()).then(|| asked.clone())
    }

    /// The answers the handler used, to carry in the next `requestState`.
    pub fn used_answers(&self) -> Map<String, Value> {
        lock(&self.used).clone()
    }
}
