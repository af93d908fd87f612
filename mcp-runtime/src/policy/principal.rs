//! Who the caller of a stdio process is: the policy's local principal, or the identity in a
//! validated bearer token ([`stdio_caller`]).

use super::diagnostic::PolicyError;
use super::settings::EnvSettings;
use crate::context::Caller;

/// The caller of a stdio process in environment `settings`: the policy's local `principal`,
/// or (with `token_env`) the identity in a bearer token held by that variable, validated
/// exactly like an HTTP bearer token (issuer, audience, signature, expiry, algorithms) with the
/// environment's `auth` settings. The token itself is dropped after validation.
///
/// # Errors
/// [`PolicyError::Unsupported`] when the variable is unset, the environment has no `auth`,
/// the token is invalid, or the environment defines no local principal.
pub async fn stdio_caller(settings: &EnvSettings) -> Result<Caller, PolicyError> {
    if let Some(var) = &settings.token_env {
        let env = &settings.env;
        let token = std::env::var(var).map_err(|_| {
            PolicyError::Unsupported(format!(
                "environment `{env}` takes the stdio user's identity from a token in `{var}`, but `{var}` is not set"
            ))
        })?;
        let auth = settings.auth.clone().ok_or_else(|| {
            PolicyError::Unsupported(format!(
                "environment `{env}` sets `token_env` but no `auth` to validate the token with"
            ))
        })?;
        let validator = crate::auth::TokenValidator::new(auth)
            .map_err(|e| PolicyError::Unsupported(format!("environment `{env}`: {e}")))?;
        return validator.validate(token.trim()).await.map_err(|e| {
            PolicyError::Unsupported(format!("the token in `{var}` was refused: {e}"))
        });
    }
    let Some(sub) = &settings.principal_sub else {
        return Err(PolicyError::Unsupported(format!(
            "environment `{}` defines no `principal` for a local stdio user",
            settings.env
        )));
    };
    Ok(
        Caller::local(sub.clone(), settings.principal_scopes.clone())
            .with_claims(settings.principal_claims.clone()),
    )
}
