//! The TypeScript declarations of every type that crosses the wasm boundary, generated from
//! the Rust types by `ts-rs` (feature `ts`, never in the wasm build).
//!
//! `scripts/build.mjs` runs `examples/typescript.rs`, which writes [`declarations`] beside the
//! wasm-bindgen `.d.ts` as `federate_types.d.ts`; that `.d.ts` imports and re-exports them
//! (`crates/federate-wasm/src/lib.rs`), so the extension, the library and the playground
//! import the engine's types instead of declaring copies.
//!
//! To make a new type reach TypeScript: derive it (`#[cfg_attr(feature = "ts",
//! derive(ts_rs::TS))]`), add it to [`ROOTS`] if no listed type reaches it, and name it in the
//! wasm export's `unchecked_param_type`/`unchecked_return_type` (and in the import list of
//! `federate-wasm`'s `lib.rs`).

use std::any::TypeId;
use std::collections::{BTreeMap, HashSet};

use ts_rs::{Config, TS, TypeVisitor};

/// Collects each declarable type once, with the types it depends on.
struct Collect<'a> {
    cfg: &'a Config,
    seen: HashSet<TypeId>,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only named types have a declaration (`output_path`); primitives, `Option`, `Vec`...
        // are inlined where they are used, their parameters visited as dependencies.
        if T::output_path().is_none() {
            T::visit_dependencies(self);
            T::visit_generics(self);
            return;
        }
        // Declared already, with its dependencies: nothing more to visit.
        if !self.seen.insert(TypeId::of::<T>()) {
            return;
        }
        let docs = T::docs().unwrap_or_default();
        self.decls.insert(
            T::ident(self.cfg),
            format!("{docs}export {}", T::decl(self.cfg)),
        );
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

/// Visits every root type of the boundary (their dependencies follow).
fn roots(v: &mut Collect<'_>) {
    use crate::{
        api, azure_devops, convertibility, diagnose, federation, job, jobs, migration, model,
        remedy, report, usage, verdict,
    };
    v.visit::<model::Endpoint>();
    v.visit::<verdict::Context>();
    v.visit::<verdict::Verdict>();
    v.visit::<verdict::RuleRow>();
    v.visit::<federation::DecodedSubject>();
    v.visit::<federation::DecodedIssuer>();
    v.visit::<federation::SubjectContext>();
    v.visit::<federation::ExpectedFederation>();
    v.visit::<federation::Federation>();
    v.visit::<azure_devops::AzureDevOpsPat>();
    v.visit::<diagnose::Diagnosis>();
    v.visit::<remedy::Remedies>();
    v.visit::<remedy::CommandFormatName>();
    v.visit::<report::InventorySummary>();
    v.visit::<migration::MigrationPlan>();
    v.visit::<migration::VerifyRow>();
    v.visit::<api::OrgLocation>();
    v.visit::<api::Request>();
    v.visit::<api::Project>();
    v.visit::<api::WaitReason>();
    v.visit::<api::ErrorWords>();
    v.visit::<jobs::JournalEntry>();
    v.visit::<jobs::ClientStats>();
    v.visit::<jobs::ProjectListing>();
    v.visit::<jobs::ScanProgress>();
    v.visit::<jobs::OrgScan>();
    v.visit::<jobs::PlanContext>();
    v.visit::<jobs::ConversionPlan>();
    v.visit::<jobs::Direction>();
    v.visit::<jobs::OwningProject>();
    v.visit::<usage::UsageLoad>();
    v.visit::<usage::UsageProgress>();
    v.visit::<usage::ConnectionUsage>();
    v.visit::<usage::UsageTarget>();
    v.visit::<usage::UsageVerdict>();
    v.visit::<usage::preflight::Preflight>();
    v.visit::<usage::preflight::TaskWarning>();
    v.visit::<jobs::ConversionOutcome>();
    v.visit::<convertibility::Assessment>();
    v.visit::<job::JobHeader>();
    v.visit::<job::Record>();
    v.visit::<job::Event>();
    v.visit::<job::Next>();
    v.visit::<job::JobView>();
    v.visit::<job::ProjectRead>();
    v.visit::<job::ActiveJob>();
    v.visit::<job::Conflict>();
}

/// Every boundary type's TypeScript declaration, in one module text (sorted by name, so the
/// output is stable and a diff shows what changed).
pub fn declarations() -> String {
    // Numbers cross as JSON numbers (`serde_json`), so 64-bit integers are `number` in
    // TypeScript, never `bigint`.
    let cfg = Config::new().with_large_int("number");
    let mut collect = Collect {
        cfg: &cfg,
        seen: HashSet::new(),
        decls: BTreeMap::new(),
    };
    roots(&mut collect);
    let mut out = String::from(
        "// Generated from the Rust types of federate-core by ts-rs (scripts/build.mjs); do not edit.\n\n",
    );
    for decl in collect.decls.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out
}
