//! Hot reload: the policy in force is an atomically swapped snapshot. A reload (SIGHUP, or a
//! change of the file) validates the new file completely before swapping; a bad file keeps
//! the last good policy and logs every problem at `file:line:column`. Each request takes one
//! snapshot, so calls in flight finish under the policy they started with.

use super::PolicyError;
use super::engine::{Engine, VarLookup, process_env};
use super::load::Policy;
use crate::auth::CacheEpoch;
use crate::authz::Catalog;
use arc_swap::ArcSwap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A `${VAR}` lookup that reloads can keep using.
pub(crate) type SharedVars = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where a reloadable policy comes from.
#[derive(Clone, Debug)]
struct Origin {
    path: PathBuf,
    env: String,
    catalog: Arc<Catalog>,
}

/// The policy in force, swappable at run time.
pub struct PolicyHandle {
    current: ArcSwap<Engine>,
    origin: Option<Origin>,
    vars: SharedVars,
    /// Advanced by every successful reload.
    epoch: CacheEpoch,
    /// The revision in force (`0` until the first successful reload), published to
    /// [`PolicyHandle::revisions`] by every successful reload.
    revisions: watch::Sender<u64>,
}

impl fmt::Debug for PolicyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyHandle")
            .field("env", &self.current.load().env())
            .field("origin", &self.origin)
            .field("revision", &*self.revisions.borrow())
            .finish_non_exhaustive()
    }
}

/// Loads `path`, validates it against `catalog` and compiles `env`, refusing unresolved
/// `${VAR}`s.
///
/// # Errors
/// Every problem found.
pub(crate) fn load_env(
    path: &Path,
    env: &str,
    catalog: Arc<Catalog>,
    vars: VarLookup<'_>,
) -> Result<Engine, PolicyError> {
    let policy = Policy::load(path, catalog)?;
    let engine = policy.compile(env, vars)?;
    if !engine.settings().unresolved.is_empty() {
        return Err(PolicyError::Invalid(engine.settings().unresolved.clone()));
    }
    Ok(engine)
}

impl PolicyHandle {
    /// A policy that never reloads.
    pub fn fixed(engine: Engine) -> Self {
        Self {
            current: ArcSwap::from_pointee(engine),
            origin: None,
            vars: Box::new(process_env),
            epoch: CacheEpoch::default(),
            revisions: watch::Sender::new(0),
        }
    }

    /// Loads environment `env` of the policy at `path`, to be reloaded from the same place.
    ///
    /// # Errors
    /// Every problem found; a policy with an unset `${VAR}` (without default) is refused.
    pub fn load(path: &Path, env: &str, catalog: Arc<Catalog>) -> Result<Self, PolicyError> {
        Self::load_with_vars(path, env, catalog, Box::new(process_env))
    }

    /// [`PolicyHandle::load`] with a custom variable lookup (for tests).
    ///
    /// # Errors
    /// As [`PolicyHandle::load`].
    pub fn load_with_vars(
        path: &Path,
        env: &str,
        catalog: Arc<Catalog>,
        vars: SharedVars,
    ) -> Result<Self, PolicyError> {
        let engine = load_env(path, env, catalog.clone(), &*vars)?;
        Ok(Self {
            current: ArcSwap::from_pointee(engine),
            origin: Some(Origin {
                path: path.to_path_buf(),
                env: env.to_owned(),
                catalog,
            }),
            vars,
            epoch: CacheEpoch::default(),
            revisions: watch::Sender::new(0),
        })
    }

    /// The policy in force now. Hold it for the duration of one decision.
    pub fn snapshot(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    /// [`PolicyHandle::snapshot`] without taking a reference count: for one decision made
    /// on the spot, with no `await` while it is held. Every request makes one, from every
    /// core, and a shared count would be written by all of them.
    pub(crate) fn current(&self) -> arc_swap::Guard<Arc<Engine>> {
        self.current.load()
    }

    /// The epoch every successful reload advances: a token validator given it
    /// ([`TokenValidator::with_cache_epoch`](crate::auth::TokenValidator::with_cache_epoch))
    /// forgets its validated tokens when the policy changes, so each caller's token is
    /// verified in full again under the new policy.
    pub fn cache_epoch(&self) -> CacheEpoch {
        self.epoch.clone()
    }

    /// The revision in force (`0` until the first successful reload), to wait on its
    /// changes: a subscriber wakes after a successful reload, when the new policy is already
    /// the [snapshot](PolicyHandle::snapshot). Reloads in quick succession may wake it once,
    /// with the latest revision. A reload that fails changes nothing.
    ///
    /// ```
    /// # use mcp_runtime::policy::PolicyHandle;
    /// # fn demo(handle: &PolicyHandle) {
    /// let mut revisions = handle.revisions();
    /// tokio::spawn(async move {
    ///     while revisions.changed().await.is_ok() {
    ///         let revision = *revisions.borrow_and_update();
    ///         println!("policy revision {revision} is in force");
    ///     }
    /// });
    /// # }
    /// ```
    pub fn revisions(&self) -> watch::Receiver<u64> {
        self.revisions.subscribe()
    }

    /// The file this policy reloads from.
    pub fn path(&self) -> Option<&Path> {
        self.origin.as_ref().map(|o| o.path.as_path())
    }

    /// Re-reads the file. On success the new policy is in force for every later request, the
    /// [cache epoch](PolicyHandle::cache_epoch) advances and the revision is returned; on
    /// failure the previous policy stays in force.
    ///
    /// # Errors
    /// Every problem in the new file.
    pub fn reload(&self) -> Result<u64, PolicyError> {
        let Some(origin) = &self.origin else {
            return Err(PolicyError::Unsupported(
                "this policy was not loaded from a file".to_owned(),
            ));
        };
        let mut engine = load_env(
            &origin.path,
            &origin.env,
            origin.catalog.clone(),
            &*self.vars,
        )?;
        let old = self.current.load();
        let (a, b) = (old.settings(), engine.settings());
        if a.transport != b.transport
            || a.bind != b.bind
            || a.auth != b.auth
            || a.resource != b.resource
        {
            tracing::warn!(
                env = %origin.env,
                "transport, bind, resource and auth settings take effect at the next restart"
            );
        }
        drop(old);
        // Numbered, swapped in and published under the channel's lock: concurrent reloads
        // come into force in the order of their revisions, and a subscriber woken by one
        // finds it already in force.
        let mut revision = 0;
        self.revisions.send_modify(|current| {
            *current += 1;
            revision = *current;
            engine.set_revision(revision);
            self.current.store(Arc::new(engine));
            self.epoch.advance();
        });
        Ok(revision)
    }

    /// Reloads and logs the outcome (for signal and file-watch triggers).
    pub fn reload_and_log(&self, trigger: &str) {
        match self.reload() {
            Ok(revision) => {
                let path = self.path().map(|p| p.display().to_string());
                tracing::info!(
                    trigger,
                    revision,
                    path = path.as_deref().unwrap_or("-"),
                    "policy reloaded"
                );
            }
            Err(e) => {
                for d in e.diagnostics() {
                    tracing::error!(trigger, "policy reload rejected: {d}");
                }
                if e.diagnostics().is_empty() {
                    tracing::error!(trigger, "policy reload rejected: {e}");
                }
                tracing::warn!(trigger, "keeping the last good policy");
            }
        }
    }
}

/// Reloads `handle` on SIGHUP and whenever its file changes, until the returned task is
/// dropped or aborted. Must be called inside a Tokio runtime.
///
/// The signal handler and the file watch are in place when this returns, not when the task
/// first runs: a change or a SIGHUP that comes right after start-up is not missed (and an
/// early SIGHUP does not end the process, as it would without a handler).
pub(crate) fn spawn_watchers(handle: Arc<PolicyHandle>) -> tokio::task::JoinHandle<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
    #[cfg(unix)]
    {
        let tx = tx.clone();
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(mut hup) => {
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        if tx.send("SIGHUP").is_err() {
                            break;
                        }
                    }
                });
            }
            Err(e) => tracing::warn!("cannot listen for SIGHUP: {e}"),
        }
    }
    let watcher = handle.path().and_then(|p| watch_file(p, tx.clone()));
    drop(tx);
    tokio::spawn(async move {
        let _watcher = watcher;
        while let Some(mut trigger) = rx.recv().await {
            if trigger == "file change" {
                // Editors write in steps; let them finish, then read once.
                tokio::time::sleep(Duration::from_millis(200)).await;
                while let Ok(t) = rx.try_recv() {
                    if t == "SIGHUP" {
                        trigger = t;
                    }
                }
            }
            let h = handle.clone();
            let _ = tokio::task::spawn_blocking(move || h.reload_and_log(trigger)).await;
        }
    })
}

/// Watches the directory holding `path` (so editors that replace the file are seen too).
fn watch_file(
    path: &Path,
    tx: tokio::sync::mpsc::UnboundedSender<&'static str>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let file_name = path.file_name()?.to_owned();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            )
            && event
                .paths
                .iter()
                .any(|p| p.file_name() == Some(&file_name))
        {
            let _ = tx.send("file change");
        }
    })
    .map_err(|e| tracing::warn!("cannot watch the policy file: {e}"))
    .ok()?;
    if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
        tracing::warn!("cannot watch {}: {e}", dir.display());
        return None;
    }
    Some(watcher)
}
