//! The `verdicts` table: the analyst's word on an alert (useful or noise), one per alert, listed
//! for `labels` and read back with the alert's article as training data for `train --with-labels`.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError, text_enum, timestamp};
use crate::types::{Severity, Verdict};

/// What [`Store::label`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The alert had no verdict; now it has this one.
    New,
    /// The alert's earlier verdict, given at `at`, was replaced.
    Replaced { was: Verdict, at: String },
    /// No alert has this id; nothing was written.
    NoSuchAlert,
}

/// A verdict with the alert it is about, as `labels` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labelled {
    pub alert_id: String,
    pub verdict: Verdict,
    /// The analyst's reason, if they gave one.
    pub note: Option<String>,
    /// When the verdict was given (the latest, when it replaced another).
    pub created_at: String,
    /// The alert's title and severity, so a list of verdicts can be read without the alerts.
    pub title: String,
    pub severity: Severity,
}

/// The article behind a verdict: what training learns from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledArticle {
    pub alert_id: String,
    pub verdict: Verdict,
    pub title: String,
    pub body: String,
}

impl Store {
    /// Records `verdict` on the alert `alert_id`, replacing any earlier verdict on it.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing is written then.
    pub fn label(
        &self,
        alert_id: &str,
        verdict: Verdict,
        note: Option<&str>,
    ) -> Result<Recorded, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let known: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM alerts WHERE id = ?1)", [alert_id], |r| r.get(0))?;
        if !known {
            return Ok(Recorded::NoSuchAlert);
        }
        let earlier = tx
            .query_row("SELECT verdict, created_at FROM verdicts WHERE alert_id = ?1", [alert_id], |r| {
                Ok((text_enum(r, 0, Verdict::parse)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        // Deleted and inserted rather than updated: the new row's id is the highest, which
        // keeps `labelled` newest first when two verdicts share a millisecond.
        tx.execute("DELETE FROM verdicts WHERE alert_id = ?1", [alert_id])?;
        tx.execute(
            "INSERT INTO verdicts (alert_id, verdict, note, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![alert_id, verdict.as_str(), note, timestamp(Utc::now())],
        )?;
        tx.commit()?;
        Ok(earlier.map_or(Recorded::New, |(was, at)| Recorded::Replaced { was, at }))
    }

    /// Every verdict with its alert's title and severity, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn labelled(&self) -> Result<Vec<Labelled>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT v.alert_id, v.verdict, v.note, v.created_at, al.title, al.severity
             FROM verdicts v JOIN alerts al ON al.id = v.alert_id
             ORDER BY v.created_at DESC, v.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Labelled {
                alert_id: r.get(0)?,
                verdict: text_enum(r, 1, Verdict::parse)?,
                note: r.get(2)?,
                created_at: r.get(3)?,
                title: r.get(4)?,
                severity: text_enum(r, 5, Severity::parse)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The article of every labelled alert, in alert-id order: an order that depends only on
    /// which alerts were labelled, so training on them is repeatable.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn labelled_articles(&self) -> Result<Vec<LabelledArticle>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT v.alert_id, v.verdict, ar.title, coalesce(b.body, '')
             FROM verdicts v JOIN alerts al ON al.id = v.alert_id JOIN articles ar ON ar.id = al.article_id
                  LEFT JOIN bodies b ON b.article_id = ar.id
             ORDER BY v.alert_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LabelledArticle {
                alert_id: r.get(0)?,
                verdict: text_enum(r, 1, Verdict::parse)?,
                title: r.get(2)?,
                body: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::score::NewAlert;
    use crate::store::alert_id;
    use crate::store::testing::{article, open};

    /// A database with one alert per key.
    fn with_alerts(keys: &[&str]) -> (tempfile::TempDir, Store) {
        let (dir, store) = open();
        let alert = NewAlert {
            severity: Severity::Medium,
            threshold: 6.0,
            actors: Vec::new(),
            rules_hash: "h".into(),
            event: None,
            relevance: None,
        };
        for key in keys {
            store
                .insert_article(&article(key, 7.0), Some(&alert), &crate::store::Routing::default(), || None)
                .expect("insert");
        }
        (dir, store)
    }

    #[test]
    fn a_second_verdict_replaces_the_first() {
        let (_dir, store) = with_alerts(&["k1", "k2"]);
        let (one, two) = (alert_id("k1"), alert_id("k2"));
        assert_eq!(store.label(&one, Verdict::Noise, Some("sport")).expect("label"), Recorded::New);
        assert_eq!(store.label(&two, Verdict::Useful, None).expect("label"), Recorded::New);
        let again = store.label(&one, Verdict::Useful, None).expect("label");
        assert!(matches!(again, Recorded::Replaced { was: Verdict::Noise, .. }), "{again:?}");
        let listed = store.labelled().expect("labelled");
        let brief: Vec<_> =
            listed.iter().map(|l| (l.alert_id.as_str(), l.verdict, l.note.as_deref())).collect();
        assert_eq!(brief, [(one.as_str(), Verdict::Useful, None), (two.as_str(), Verdict::Useful, None)]);
        assert_eq!((listed[0].title.as_str(), listed[0].severity), ("Title", Severity::Medium));
    }

    #[test]
    fn an_unknown_alert_gets_no_verdict() {
        let (_dir, store) = with_alerts(&["k1"]);
        assert_eq!(store.label("alrt_none", Verdict::Useful, None).expect("label"), Recorded::NoSuchAlert);
        assert!(store.labelled().expect("labelled").is_empty());
    }

    #[test]
    fn labelled_articles_carry_the_article_text_in_alert_id_order() {
        let keys = ["k1", "k2", "k3"];
        let (_dir, store) = with_alerts(&keys);
        for key in keys {
            store.label(&alert_id(key), Verdict::Noise, None).expect("label");
        }
        let articles = store.labelled_articles().expect("articles");
        let mut ids: Vec<String> = keys.iter().map(|k| alert_id(k)).collect();
        ids.sort();
        assert_eq!(articles.iter().map(|a| a.alert_id.clone()).collect::<Vec<_>>(), ids);
        assert!(articles.iter().all(|a| a.title == "Title" && a.body == "Body"));
    }
}
