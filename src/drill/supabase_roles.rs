//! The roles a Supabase schema refers to, created (`NOLOGIN`) in the scratch cluster before the
//! dump is restored (pure SQL text).
//!
//! `--no-owner --no-privileges` drops `ALTER … OWNER` and `GRANT`, but policies still name roles
//! (`CREATE POLICY … TO authenticated`), and so may default privileges or `SET ROLE` in function
//! bodies: a missing role fails the restore. The drill creates [`SUPABASE_ROLES`] and every
//! non-`pg_` role the source has, so custom roles named by policies restore too. Nobody logs in
//! as them: the scratch cluster is reachable only through its own socket, as `postgres`.

use super::sql::ident;

/// Supabase's roles, in one place.
pub const SUPABASE_ROLES: &[&str] = &[
    "anon",
    "authenticated",
    "service_role",
    "authenticator",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_functions_admin",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_read_only_user",
    "dashboard_user",
    "pgbouncer",
];

/// The roles to create: [`SUPABASE_ROLES`] and the source's, minus those the scratch cluster
/// already has (`postgres`, the `pg_` roles), sorted and without duplicates.
pub fn missing_roles(source: &[String], existing: &[String]) -> Vec<String> {
    let mut wanted: Vec<String> = SUPABASE_ROLES
        .iter()
        .map(|r| (*r).to_owned())
        .chain(source.iter().cloned())
        .filter(|r| !r.starts_with("pg_") && !existing.contains(r))
        .collect();
    wanted.sort();
    wanted.dedup();
    wanted
}

/// `CREATE ROLE "name" NOLOGIN` for one role.
pub fn create_role_sql(role: &str) -> String {
    format!("CREATE ROLE {} NOLOGIN", ident(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supabase_roles_and_the_sources_are_created_once() {
        let source = vec![
            "postgres".to_owned(),
            "anon".to_owned(),
            "reporting".to_owned(),
            "pg_monitor".to_owned(),
        ];
        let existing = vec!["postgres".to_owned(), "pg_monitor".to_owned()];
        let roles = missing_roles(&source, &existing);
        for r in [
            "anon",
            "authenticated",
            "service_role",
            "authenticator",
            "supabase_admin",
            "supabase_auth_admin",
            "supabase_storage_admin",
            "dashboard_user",
            "pgbouncer",
            "reporting",
        ] {
            assert_eq!(
                roles.iter().filter(|x| *x == r).count(),
                1,
                "{r} in {roles:?}"
            );
        }
        assert!(!roles
            .iter()
            .any(|r| r == "postgres" || r.starts_with("pg_")));
        assert_eq!(
            create_role_sql("we\"ird"),
            "CREATE ROLE \"we\"\"ird\" NOLOGIN"
        );
    }
}
