//! `bashu gen`: write synthetic county exports (see `bashu_core::synth` for the recipe) and
//! `MANIFEST.json`, and print what was written.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;

use bashu_core::CountyCode;
use bashu_core::synth::{
    self, CountyManifest, FILES, GenOptions, HeaderLanguage, KNOWN_COUNTIES, Variant,
};

#[derive(Args)]
pub struct GenArgs {
    /// Directory to write into: one sub-directory per county (files 01-… to 12-…, so that
    /// `bashu import --config … DIR/CODE/*` imports them in order) and MANIFEST.json.
    #[arg(long)]
    dir: PathBuf,
    /// Counties, comma-separated: codes of known counties (500153 荣昌区, 500118 永川区,
    /// 500111 大足区, 510521 泸县, 511083 隆昌市) or CODE=NAME. At least two: the external
    /// supervisors of high-level batches come from the next county in the list.
    #[arg(long, value_delimiter = ',', default_value = "500153,510521,511083")]
    counties: Vec<String>,
    /// Certificates per county (prerequisite certificates included).
    #[arg(long, default_value_t = 100_000)]
    certificates: usize,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of records that break a rule on purpose, spread over the violation variants
    /// (0 for none).
    #[arg(long, default_value_t = 0.02)]
    violations: f64,
}

fn parse_counties(items: &[String]) -> Result<Vec<(CountyCode, String)>> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (code, name) = match item.split_once('=') {
            Some((c, n)) => (c.trim(), Some(n.trim().to_owned())),
            None => (item, None),
        };
        let county =
            CountyCode::parse(code).map_err(|e| anyhow::anyhow!("--counties {item}: {e}"))?;
        let name = match name.or_else(|| synth::county_name(code).map(str::to_owned)) {
            Some(n) if !n.is_empty() => n,
            _ => {
                let known: Vec<String> = KNOWN_COUNTIES
                    .iter()
                    .map(|k| format!("{} {}", k.code, k.name))
                    .collect();
                bail!(
                    "--counties {item}: unknown county; name it as CODE=NAME or use one of: {}",
                    known.join(", ")
                );
            }
        };
        out.push((county, name));
    }
    Ok(out)
}

pub fn run(args: GenArgs) -> Result<()> {
    let started = Instant::now();
    let options = GenOptions {
        counties: parse_counties(&args.counties)?,
        certificates: args.certificates,
        seed: args.seed,
        violations: args.violations,
    };
    options.validate()?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    println!(
        "bashu gen: {} counties × {} certificates, seed {}, violations {}% → {}",
        options.counties.len(),
        options.certificates,
        options.seed,
        options.violations * 100.0,
        args.dir.display()
    );
    let mut parts = Vec::new();
    for i in 0..options.counties.len() {
        let t = Instant::now();
        let data = synth::generate_county(&options, i)?;
        let generated = t.elapsed();
        let dir = args.dir.join(data.county.as_str());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for f in &FILES {
            let path = dir.join(f.name);
            let file =
                File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            synth::write_file(&data, f, &mut w)
                .and_then(|()| w.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let part = data.manifest();
        print_county(
            &part,
            &dir,
            generated.as_secs_f64(),
            t.elapsed().as_secs_f64(),
        );
        parts.push(part);
    }
    let manifest = synth::manifest(&options, parts);
    let path = args.dir.join("MANIFEST.json");
    let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, &manifest)?;
    w.write_all(b"\n")?;
    w.flush()?;
    println!();
    for n in &manifest.not_generated {
        println!("not generated: {} — {}", n.rule, n.why);
    }
    println!(
        "expectations hold for checks on or after {}; every verdict that is not the clean one is in {}",
        manifest.as_of,
        path.display()
    );
    println!(
        "import each county into its own node, e.g.: bashu import --config fed/{code}/node.toml {}/{code}/*",
        args.dir.display(),
        code = manifest
            .counties
            .first()
            .map_or("500153", |c| c.county.as_str()),
    );
    println!("done in {:.2}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn outcomes(m: &BTreeMap<synth::ExpectedOutcome, usize>) -> String {
    m.iter()
        .map(|(o, n)| format!("{} {n}", o.as_str()))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn print_county(m: &CountyManifest, dir: &Path, generated: f64, total: f64) {
    let language = match m.header_language {
        HeaderLanguage::En => "English CSV headers",
        HeaderLanguage::Zh => "Chinese CSV headers",
    };
    println!();
    println!(
        "{} {}  →  {}  ({language}; generated in {generated:.2}s, written in {:.2}s)",
        m.county,
        m.name,
        dir.display(),
        total - generated
    );
    println!("  {:<28} {:<20} {:>9}", "file", "kind", "rows");
    for f in &m.files {
        println!("  {:<28} {:<20} {:>9}", f.file, f.kind, f.rows);
    }
    // Per variant: records, the check's outcome, certificates reached.
    let mut rows: BTreeMap<(u32, Variant), (usize, usize)> = BTreeMap::new();
    for v in &m.violations {
        let rule: u32 = v.rule.trim_start_matches('R').parse().unwrap_or(99);
        let e = rows.entry((rule, v.variant)).or_default();
        e.0 += 1;
        if v.check == synth::Check::Batch {
            e.1 += v.certificates_affected;
        }
    }
    println!(
        "  {:<5} {:<30} {:<12} {:>7}  {:<9} certificates reached",
        "rule", "violation", "check", "records", "outcome"
    );
    for ((rule, variant), (records, certs)) in &rows {
        let reached = match variant.certificate_effect() {
            Some(o) => format!("{certs} {}", o.as_str()),
            None if variant.check() == synth::Check::Batch => {
                "none (R6 is not in recognition)".into()
            }
            None => String::new(),
        };
        let check = format!("{:?}", variant.check()).to_lowercase();
        println!(
            "  R{rule:<4} {:<30} {:<12} {records:>7}  {:<9} {reached}",
            variant.as_str(),
            check,
            variant.outcome().as_str(),
        );
    }
    if rows.is_empty() {
        println!("  (no deliberate violations)");
    }
    println!(
        "  expected recognition: {}",
        outcomes(&m.totals.recognition)
    );
    println!("  expected batch check: {}", outcomes(&m.totals.batch));
    println!("  expected promotion:   {}", outcomes(&m.totals.promotion));
}
