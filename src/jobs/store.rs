//! The results store: every finished Monte Carlo trial, kept so that a run computes only
//! what is missing, survives interruption, and can be spread over many processes.
//!
//! **Keys.** A trial is determined by the resolved model (sizes, covariance and target
//! recipes with their parameters and normalisation flags; file matrices by content, never
//! by file name), p, λ, the ensemble, the seed and the trial index, and by the simulation
//! algorithm ([`SIM_VERSION`]). The first five are hashed (FNV-1a, 128 bits, kept to 96)
//! into a [`PointKey`]; a record is `(key, trial, values)`.
//!
//! **Files.** `DIR/v{SIM_VERSION}/*.trials`, one file per writing process (named by host,
//! process id and start time, so two processes never share one), appended one whole line
//! per trial with a single `write`. Readers merge every file. A line is
//!
//! ```text
//! <key: 24 hex> <trial> <value: 16 hex bits> … <checksum: 8 hex>\n
//! ```
//!
//! (≈ 90 bytes for a single learner's three values, 124 for an ensemble's five), the
//! values as exact IEEE bits so a stored trial reproduces the computed one bit for bit. A
//! line without its newline (a writer killed mid-write) or with a wrong checksum is
//! ignored and its trial recomputed; a file with bad lines is reported in one line. No
//! locks: writers never share a file, and a record, once whole, never changes.

use crate::spec::{
    Activation, CovarianceKind, CovarianceSpec, Ensemble, Error, Inputs, ModelSpec, Result, Target,
};
use crate::support::hash::Fnv;
use crate::support::progress::Note;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Version of the simulation algorithm. Bump it whenever a change would alter any
/// trial's numbers (sampling order, solver, normalisation): old records are then ignored
/// (and removed by `lcurve store gc`). 3: a dataset's Σ0 and β* from the singular values of
/// its features (last digits of every trial on a dataset), and nonlinear trials that moved
/// in their last bit.
pub const SIM_VERSION: u32 = 3;

/// Where the store lives without `--store`: `$LCURVE_STORE`, else `.lcurve-store` in the
/// working directory.
pub fn default_dir() -> PathBuf {
    std::env::var_os("LCURVE_STORE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".lcurve-store"))
}

/// A line checksum: FNV-1a 32-bit.
fn checksum(s: &[u8]) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for &x in s {
        h ^= x as u32;
        h = h.wrapping_mul(0x01000193);
    }
    h
}

fn hash_covariance(h: &mut Fnv, c: &CovarianceSpec) {
    h.u64(c.normalize as u64);
    match &c.kind {
        CovarianceKind::Identity => h.tag("identity"),
        CovarianceKind::PowerLaw { exponent } => h.tag("power_law").f64(*exponent),
        CovarianceKind::Diagonal { values } => {
            h.tag("diagonal").u64(values.len() as u64);
            values.iter().for_each(|v| {
                h.f64(*v);
            });
            h
        }
        CovarianceKind::Ar1 { rho } => h.tag("ar1").f64(*rho),
        CovarianceKind::Matrix { matrix } => {
            h.tag("matrix").u64(matrix.nrows() as u64).u64(matrix.ncols() as u64);
            matrix.iter().for_each(|v| {
                h.f64(*v);
            });
            h
        }
        CovarianceKind::DataPower { exponent } => h.tag("data_power").f64(*exponent),
        CovarianceKind::Empirical { data } => h.tag("dataset").u64(data.hash),
    };
}

/// The key of every trial at one point: model, p, λ, ensemble and seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PointKey(u128);

impl PointKey {
    /// Keys use 96 bits (24 hex digits): collisions among 10⁹ points have probability 10⁻¹¹.
    const MASK: u128 = (1u128 << 96) - 1;

    /// The key of a (scaled) model at sample size `samples`, ridge λ, ensemble and seed.
    /// A network with a nonlinear layer also keys its activations and the size of its
    /// test set (linear networks measure E_g exactly and keep the keys they always had).
    pub fn new(
        spec: &ModelSpec,
        samples: usize,
        ridge: f64,
        ensemble: Option<Ensemble>,
        seed: u64,
        test_samples: usize,
    ) -> Self {
        let mut h = Fnv::new();
        h.tag("lcurve trial").u64(SIM_VERSION as u64);
        h.u64(spec.dim() as u64).f64(spec.noise());
        hash_covariance(&mut h, spec.data());
        match spec.target() {
            Target::Isotropic => h.tag("isotropic"),
            Target::PowerLaw { exponent } => h.tag("power_law").f64(*exponent),
            Target::Weights { values } => {
                h.tag("weights").u64(values.len() as u64);
                values.iter().for_each(|v| {
                    h.f64(*v);
                });
                &mut h
            }
        };
        hash_covariance(&mut h, spec.input());
        h.u64(spec.layers().len() as u64);
        for l in spec.layers() {
            h.u64(l.width as u64);
            hash_covariance(&mut h, &l.covariance);
        }
        h.u64(samples as u64).f64(ridge);
        match ensemble {
            None => h.tag("single"),
            Some(Ensemble::Members(k)) => h.tag("members").u64(k as u64),
            Some(Ensemble::Infinite) => h.tag("infinite").u64(crate::simulation::INFINITE_MEMBERS as u64),
        };
        h.u64(seed);
        if spec.is_nonlinear() {
            h.tag("activations");
            for l in spec.layers() {
                match l.activation {
                    Activation::Coefficients { mu0, mu1, mustar } => {
                        h.tag("coefficients").f64(mu0).f64(mu1).f64(mustar)
                    }
                    a => h.tag(a.name()),
                };
            }
            if spec.has_exact_test_error() {
                h.tag("exact test error");
            } else {
                h.tag("test samples").u64(test_samples as u64);
            }
        }
        PointKey(h.0 & Self::MASK)
    }

    /// The key of the same point with its readout trained by gradient flow for `time`.
    pub fn with_time(self, time: f64) -> Self {
        let mut h = Fnv::new();
        h.tag("gradient flow").u64(self.0 as u64).u64((self.0 >> 64) as u64).f64(time);
        PointKey(h.0 & Self::MASK)
    }

    /// The key of the readout trained as `filter` says: gradient flow keeps [`PointKey::with_time`]'s
    /// keys; gradient descent keys its step and step count.
    pub fn with_filter(self, filter: crate::simulation::Filter) -> Self {
        match filter {
            crate::simulation::Filter::Flow(t) => self.with_time(t),
            crate::simulation::Filter::Descent { step, steps } => {
                let mut h = Fnv::new();
                h.tag("gradient descent").u64(self.0 as u64).u64((self.0 >> 64) as u64).f64(step).f64(steps);
                PointKey(h.0 & Self::MASK)
            }
        }
    }

    /// The key of one-pass SGD's risk after `steps` steps at step η and batch B (the base key
    /// at sample size 0: SGD has none).
    pub fn with_sgd(self, step: f64, batch: u64, steps: u64) -> Self {
        let mut h = Fnv::new();
        h.tag("one-pass sgd").u64(self.0 as u64).u64((self.0 >> 64) as u64).f64(step).u64(batch).u64(steps);
        PointKey(h.0 & Self::MASK)
    }

    /// The key of a network with every layer trained (FEATURES §10): its training set at the
    /// base key's sample size, its width, depth, step, richness, centring, whether its first
    /// layer is structured (in the base key's model), and the step count.
    #[allow(clippy::too_many_arguments)] // what determines the network, one each
    pub fn with_network(
        self,
        dataset: usize,
        width: usize,
        layers: usize,
        step: f64,
        richness: f64,
        centered: bool,
        steps: u64,
    ) -> Self {
        let mut h = Fnv::new();
        h.tag("every layer trained")
            .u64(self.0 as u64)
            .u64((self.0 >> 64) as u64)
            .u64(dataset as u64)
            .u64(width as u64)
            .u64(layers as u64)
            .f64(step)
            .f64(richness)
            .tag(if centered { "centered" } else { "uncentered" })
            .u64(steps);
        PointKey(h.0 & Self::MASK)
    }

    /// The key of the same point simulated on `inputs`: Gaussian inputs keep the key (so
    /// every store written before datasets stays valid), a dataset's rows get their own.
    pub fn with_inputs(self, inputs: Inputs) -> Self {
        match inputs {
            Inputs::Gaussian => self,
            Inputs::Data => {
                let mut h = Fnv::new();
                h.tag("real inputs").u64(self.0 as u64).u64((self.0 >> 64) as u64);
                PointKey(h.0 & Self::MASK)
            }
        }
    }

    fn hex(self) -> String {
        format!("{:024x}", self.0)
    }

    fn parse(s: &[u8]) -> Option<Self> {
        if s.len() != 24 {
            return None;
        }
        u128::from_str_radix(std::str::from_utf8(s).ok()?, 16).ok().map(PointKey)
    }
}

/// One stored trial: its key, index and values (3 for a single learner: E_g, bias,
/// training error; 5 for an ensemble: those of its first member, then the ensemble's
/// E_g and bias).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub key: PointKey,
    pub trial: u32,
    pub values: Vec<f64>,
}

impl Record {
    /// The line written for this record, newline included.
    pub fn line(&self) -> String {
        let mut s = format!("{} {}", self.key.hex(), self.trial);
        for v in &self.values {
            s.push_str(&format!(" {:016x}", v.to_bits()));
        }
        let c = checksum(s.as_bytes());
        s.push_str(&format!(" {c:08x}\n"));
        s
    }

    /// Parses a line (without its newline); `None` if it is not a whole, valid record.
    fn parse(line: &[u8]) -> Option<Record> {
        let cut = line.len().checked_sub(9)?;
        let (body, tail) = line.split_at(cut);
        if tail[0] != b' ' {
            return None;
        }
        let c = u32::from_str_radix(std::str::from_utf8(&tail[1..]).ok()?, 16).ok()?;
        if c != checksum(body) {
            return None;
        }
        let mut parts = body.split(|&b| b == b' ');
        let key = PointKey::parse(parts.next()?)?;
        let trial = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
        let values: Option<Vec<f64>> = parts
            .map(|p| {
                (p.len() == 16)
                    .then(|| u64::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                    .flatten()
                    .map(f64::from_bits)
            })
            .collect();
        let values = values?;
        // 3 values (a trial: E_g, bias, E_tr), 4 (a network with every layer trained: E_g,
        // E_tr, |β_N − β_∞|², sharpness), 5 (an ensemble's).
        matches!(values.len(), 3..=5).then_some(Record { key, trial, values })
    }
}

/// Stored trials by (point, trial index).
pub type Trials = HashMap<(PointKey, u32), Vec<f64>>;

/// What reading the store found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub trials: Trials,
    /// One line per file that could not be read or had corrupt lines (skipped).
    pub warnings: Vec<Note>,
}

/// Summary of a store's files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub files: usize,
    pub bytes: u64,
    pub records: usize,
    /// Distinct points.
    pub points: usize,
    /// Files of other simulation versions (ignored), and their bytes.
    pub old_files: usize,
    pub old_bytes: u64,
}

/// A results store rooted at a folder. Appends go to this process's own file, created on
/// the first append.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    writer: Mutex<Option<(PathBuf, File)>>,
    appended: AtomicU64,
    /// What this process has read of the files, so that a run with many validations (a
    /// figure) reads each file once and then only what was appended since.
    index: Mutex<Index>,
}

/// The store's files as read so far: their bytes up to the last complete line, and where
/// each point's lines are.
#[derive(Debug, Default)]
struct Index {
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Position in `files` of each path.
    by_path: HashMap<PathBuf, usize>,
    /// Lines of each point: (file, byte range of the line without its newline).
    by_key: HashMap<PointKey, Vec<(usize, std::ops::Range<usize>)>>,
}

impl Index {
    /// Reads what `files` have beyond what was read (whole lines only: a torn last line is
    /// read once it is complete). Lines whose key cannot be read are damage, reported here
    /// once. A file that shrank (replaced) makes the index start over.
    fn refresh(&mut self, files: &[PathBuf], notes: &mut Vec<Note>) {
        for path in files {
            let known = self.by_path.get(path).map_or(0, |&i| self.files[i].1.len());
            let len = match fs::metadata(path) {
                Ok(m) => m.len() as usize,
                Err(e) => {
                    notes.push(Note::UnreadableStoreFile { path: path.clone(), reason: e.to_string() });
                    continue;
                }
            };
            if len < known {
                *self = Index::default();
                return self.refresh(files, notes);
            }
            if len == known {
                continue;
            }
            let tail = match read_from(path, known) {
                Ok(t) => t,
                Err(e) => {
                    notes.push(Note::UnreadableStoreFile { path: path.clone(), reason: e.to_string() });
                    continue;
                }
            };
            // Whole lines only; the rest is read again next time.
            let Some(end) = tail.iter().rposition(|&b| b == b'\n') else { continue };
            let f = match self.by_path.get(path) {
                Some(&i) => i,
                None => {
                    self.files.push((path.clone(), Vec::new()));
                    self.by_path.insert(path.clone(), self.files.len() - 1);
                    self.files.len() - 1
                }
            };
            let data = &mut self.files[f].1;
            let base = data.len();
            data.extend_from_slice(&tail[..=end]);
            let mut bad = 0usize;
            let mut at = base;
            for line in tail[..end].split(|&b| b == b'\n') {
                match line.get(..24).and_then(PointKey::parse) {
                    Some(k) => self.by_key.entry(k).or_default().push((f, at..at + line.len())),
                    None => bad += 1,
                }
                at += line.len() + 1;
            }
            if bad > 0 {
                notes.push(Note::DamagedStoreFile { path: path.clone(), lines: bad });
            }
        }
    }

    /// The records of the points in `wanted` (`None`: all); lines that fail their checksum
    /// are counted per file in `notes`.
    fn records(&self, wanted: Option<&HashSet<PointKey>>, notes: &mut Vec<Note>) -> Trials {
        let mut out = Trials::new();
        let mut bad: HashMap<usize, usize> = HashMap::new();
        let mut take = |lines: &[(usize, std::ops::Range<usize>)]| {
            for (f, r) in lines {
                match Record::parse(&self.files[*f].1[r.clone()]) {
                    Some(rec) => {
                        out.insert((rec.key, rec.trial), rec.values);
                    }
                    None => *bad.entry(*f).or_default() += 1,
                }
            }
        };
        match wanted {
            Some(w) => w.iter().filter_map(|k| self.by_key.get(k)).for_each(|l| take(l)),
            None => self.by_key.values().for_each(|l| take(l)),
        }
        let mut bad: Vec<(usize, usize)> = bad.into_iter().collect();
        bad.sort_unstable();
        for (f, lines) in bad {
            notes.push(Note::DamagedStoreFile { path: self.files[f].0.clone(), lines });
        }
        out
    }
}

/// The bytes of a file from `offset` on.
fn read_from(path: &Path, offset: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(offset as u64))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    Ok(buf)
}

impl Store {
    /// A store at `root` (created on the first write). An existing path that is not a
    /// folder is an error naming the `store` option.
    pub fn open(root: &Path) -> Result<Store> {
        if root.exists() && !root.is_dir() {
            return Err(Error::option("store", format!("{} is not a folder", root.display())));
        }
        let store = Store {
            root: root.to_path_buf(),
            writer: Mutex::new(None),
            appended: AtomicU64::new(0),
            index: Mutex::new(Index::default()),
        };
        let version = store.version_dir();
        if version.exists() && !version.is_dir() {
            return Err(Error::option(
                "store",
                format!(
                    "{} is not a folder (the store keeps this version's trials there)",
                    version.display()
                ),
            ));
        }
        Ok(store)
    }

    /// Records this process has appended.
    pub fn appended(&self) -> u64 {
        self.appended.load(Ordering::Relaxed)
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn version_dir(&self) -> PathBuf {
        self.root.join(format!("v{SIM_VERSION}"))
    }

    /// The data files of this version, sorted.
    fn files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.version_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "trials") && p.is_file())
            .collect();
        files.sort();
        Ok(files)
    }

    /// Reads every record whose point is in `wanted` (`None`: all). Unreadable files and
    /// corrupt lines are skipped and reported in `warnings`; a torn last line (a writer
    /// killed mid-write, or one still writing) is skipped silently. Each file is read once
    /// per process, then only what was appended since (an in-memory index by point).
    pub fn load(&self, wanted: Option<&HashSet<PointKey>>) -> Result<Loaded> {
        let files = self.files()?;
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        let mut warnings = Vec::new();
        index.refresh(&files, &mut warnings);
        let trials = index.records(wanted, &mut warnings);
        Ok(Loaded { trials, warnings })
    }
}

/// The records of `files` whose point is in `wanted` (see [`Store::load`]).
fn load_files(files: &[PathBuf], wanted: Option<&HashSet<PointKey>>) -> Result<Loaded> {
    let mut out = Loaded::default();
    for path in files {
        let data = match fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                out.warnings.push(Note::UnreadableStoreFile { path: path.clone(), reason: e.to_string() });
                continue;
            }
        };
        let mut bad = 0usize;
        let mut lines = data.split(|&b| b == b'\n').peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_none() {
                break; // the part after the last newline: empty, or a torn record
            }
            if let Some(w) = wanted {
                match line.get(..24).and_then(PointKey::parse) {
                    Some(k) if !w.contains(&k) => continue,
                    _ => {}
                }
            }
            match Record::parse(line) {
                Some(r) => {
                    out.trials.insert((r.key, r.trial), r.values);
                }
                None => bad += 1,
            }
        }
        if bad > 0 {
            out.warnings.push(Note::DamagedStoreFile { path: path.clone(), lines: bad });
        }
    }
    Ok(out)
}

impl Store {
    /// Appends one record to this process's file (one `write` of a whole line). The file
    /// is locked (an advisory exclusive lock) for as long as this store lives, which tells
    /// `gc` that a live process still writes it.
    pub fn append(&self, r: &Record) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.is_none() {
            let dir = self.version_dir();
            fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let path = dir.join(own_file_name());
            let f = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            // Where the filesystem has no locks, gc cannot tell this file is live: it then
            // leaves every file alone (see `gc`).
            let _ = f.try_lock();
            *w = Some((path, f));
        }
        let (path, f) = w.as_mut().expect("opened above");
        f.write_all(r.line().as_bytes()).map_err(|e| Error::io(path.as_path(), e))?;
        self.appended.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Counts files, bytes, records and points (records of every point).
    pub fn status(&self) -> Result<Status> {
        let mut s = Status::default();
        let loaded = self.load(None)?;
        s.records = loaded.trials.len();
        s.points = loaded.trials.keys().map(|(k, _)| *k).collect::<HashSet<_>>().len();
        for f in self.files()? {
            s.files += 1;
            s.bytes += fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        }
        if let Ok(entries) = fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if p.is_dir() && name.starts_with('v') && name != format!("v{SIM_VERSION}") {
                    for f in fs::read_dir(&p).into_iter().flatten().flatten() {
                        s.old_files += 1;
                        s.old_bytes += f.metadata().map(|m| m.len()).unwrap_or(0);
                    }
                }
            }
        }
        Ok(s)
    }

    /// Keeps only the records of points in `keep` (all points when `None`) of the current
    /// version, compacted into one file, and deletes other versions' folders.
    ///
    /// Safe while other processes write: every writer holds an exclusive advisory lock on
    /// its own file, so gc takes the lock of each file first, compacts and deletes only the
    /// files it could lock (finished writers), and leaves the files of live writers whole.
    /// A file whose lock cannot be taken for another reason (a filesystem without locks) is
    /// left alone too: nothing that may still be written is ever deleted.
    pub fn gc(&self, keep: Option<&HashSet<PointKey>>) -> Result<GcReport> {
        let before = self.status()?;
        let mut dead = Vec::new();
        let mut held = Vec::new();
        let mut live = 0;
        for path in self.files()? {
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            match f.try_lock() {
                Ok(()) => {
                    dead.push(path);
                    held.push(f);
                }
                Err(_) => live += 1,
            }
        }
        let all = load_files(&dead, None)?.trials;
        let mut recs: Vec<(&(PointKey, u32), &Vec<f64>)> =
            all.iter().filter(|((k, _), _)| keep.is_none_or(|keep| keep.contains(k))).collect();
        let compacted = recs.len();
        recs.sort_by(|a, b| a.0.cmp(b.0));
        if !recs.is_empty() {
            let mut text = String::with_capacity(recs.len() * 100);
            for ((key, trial), values) in recs {
                text.push_str(&Record { key: *key, trial: *trial, values: values.clone() }.line());
            }
            let dir = self.version_dir();
            let path = dir.join(format!("gc-{}", own_file_name()));
            crate::support::output::write_atomic(&path, text.as_bytes())?;
        }
        for f in &dead {
            fs::remove_file(f).map_err(|e| Error::io(f, e))?;
        }
        drop(held);
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = Index::default();
        if let Ok(entries) = fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if e.path().is_dir() && name.starts_with('v') && name != format!("v{SIM_VERSION}") {
                    fs::remove_dir_all(e.path()).map_err(|err| Error::io(e.path(), err))?;
                }
            }
        }
        Ok(GcReport { before, after: self.status()?, compacted, read: all.len(), live_files: live })
    }
}

/// What `gc` did: the store's status before and after, the trials it kept out of those
/// it read from finished files, and the files of live writers it left alone.
#[derive(Clone, Debug)]
pub struct GcReport {
    pub before: Status,
    pub after: Status,
    pub compacted: usize,
    pub read: usize,
    pub live_files: usize,
}

/// `HOST-PID-NANOS.trials`: unique per process, also across machines sharing a filesystem.
fn own_file_name() -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "host".into());
    let host: String =
        host.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{host}-{}-{nanos}.trials", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_reject_damage() {
        let r = Record { key: PointKey(0xabc), trial: 17, values: vec![0.1, f64::INFINITY, -3e-300] };
        let line = r.line();
        assert!(line.len() <= 100, "{} bytes", line.len());
        let body = line.trim_end_matches('\n').as_bytes();
        assert_eq!(Record::parse(body), Some(r.clone()));
        // Any changed character, or a cut, is rejected.
        for i in 0..body.len() {
            let mut b = body.to_vec();
            b[i] = if b[i] == b'1' { b'2' } else { b'1' };
            assert_eq!(Record::parse(&b).filter(|x| *x == r), None, "byte {i}");
            assert_eq!(Record::parse(&body[..i]), None, "cut at {i}");
        }
    }

    /// The in-process index: a later lookup sees records appended since (also a line that
    /// was torn at the first read and completed later), and damage is reported.
    #[test]
    fn the_index_follows_appends() {
        let dir = std::env::temp_dir().join(format!("lcurve-index-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let st = Store::open(&dir).unwrap();
        let rec = |k: u128, t: u32| Record { key: PointKey(k), trial: t, values: vec![t as f64, 0.5, 0.25] };
        st.append(&rec(1, 0)).unwrap();
        st.append(&rec(2, 0)).unwrap();
        let want1: HashSet<PointKey> = [PointKey(1)].into_iter().collect();
        assert_eq!(st.load(Some(&want1)).unwrap().trials.len(), 1);
        st.append(&rec(1, 1)).unwrap();
        // Another writer's file: a torn line first, completed later, and a damaged line.
        let other = st.version_dir().join("other.trials");
        let line = rec(1, 2).line();
        let (head, tail) = line.split_at(20);
        fs::write(&other, format!("{}not a record\n{head}", rec(3, 0).line())).unwrap();
        let l = st.load(Some(&want1)).unwrap();
        assert_eq!(l.trials.len(), 2, "the torn line is not read yet");
        assert!(
            matches!(l.warnings.as_slice(), [Note::DamagedStoreFile { lines: 1, .. }]),
            "{:?}",
            l.warnings
        );
        let mut f = OpenOptions::new().append(true).open(&other).unwrap();
        f.write_all(tail.as_bytes()).unwrap();
        let l = st.load(None).unwrap();
        assert_eq!(l.trials.len(), 5);
        assert!(l.warnings.is_empty(), "damage is reported once");
        assert_eq!(l.trials[&(PointKey(1), 2)], vec![2.0, 0.5, 0.25]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn fnv_is_the_reference_function() {
        // FNV-1a 128 of "a" (reference value of the FNV specification).
        let mut h = Fnv::new();
        h.bytes(b"a");
        assert_eq!(h.0, 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(checksum(b"a"), 0xe40c292c);
    }
}
