//! [`ToolContext`]'s way to ask the client: elicitation, sampling and roots, in either era.

use super::ToolContext;
use crate::asking::{
    self, AskError, Asker, Elicitation, Elicited, Root, Sampling, SamplingResult, UrlElicitation,
};
use crate::changes::ElicitationCompletion;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

impl ToolContext {
    /// Asks the user for input through the client (`elicitation/create`, form mode) and
    /// deserializes the submitted content as `T`.
    ///
    /// The same code serves both eras. In a 2025-11-25 session the request goes to the client
    /// at once and this waits for its answer (with a timeout; cancelling the call withdraws
    /// it). In 2026-07-28 the answer is looked up in the retry's `inputResponses` under the
    /// request's key; when it is not there, this fails with [`AskError::InputRequired`], the
    /// handler returns (through `?`), and the call ends with an input-required result asking
    /// for it. The client then calls again, and the handler runs again from the start: asks
    /// made before side effects keep it straight. To ask several things in one round, await
    /// them together (`futures::join!`).
    ///
    /// ```no_run
    /// use mcp_runtime::asking::{Elicitation, Elicited};
    /// use mcp_runtime::prelude::*;
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Confirm { ok: bool }
    ///
    /// /// Deletes everything, once the user confirms.
    /// #[tool(public, destructive)]
    /// async fn wipe(ctx: &ToolContext) -> Result<String, ToolError> {
    ///     let ask = Elicitation::for_type::<Confirm>("Really wipe?").key("confirm");
    ///     Ok(match ctx.elicit::<Confirm>(ask).await? {
    ///         Elicited::Accept(Confirm { ok: true }) => "wiped".to_owned(),
    ///         _ => "kept".to_owned(),
    ///     })
    /// }
    /// ```
    ///
    /// # Errors
    /// [`AskError`]: the client lacks the `elicitation` capability, did not answer in time,
    /// refused, answered with the wrong shape, or (2026-07-28) the answer is still to come.
    pub async fn elicit<T: DeserializeOwned>(
        &self,
        request: Elicitation,
    ) -> Result<Elicited<T>, AskError> {
        let params = request.params();
        let answer = self.ask(asking::ELICITATION, request.key, params).await?;
        Elicited::from_answer(answer)
    }

    /// Asks the user to open a URL (`elicitation/create`, URL mode) and returns whether they
    /// agreed to go ([`Elicited::Accept`]`(())`); the interaction itself happens out of band,
    /// and the server learns its outcome there. The client must have declared
    /// `elicitation.url`. The eras differ as for [`ToolContext::elicit`].
    ///
    /// ```no_run
    /// # async fn f(ctx: &mcp_runtime::ToolContext) -> Result<(), mcp_runtime::asking::AskError> {
    /// use mcp_runtime::asking::{Elicited, UrlElicitation};
    /// let ask = UrlElicitation::new("Sign in to the billing system", "https://billing.example.com/connect");
    /// if ctx.elicit_url(ask).await? == Elicited::Accept(()) {
    ///     // the user went to the page; wait for the billing system's callback
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As for [`ToolContext::elicit`], with the `elicitation.url` capability.
    pub async fn elicit_url(&self, request: UrlElicitation) -> Result<Elicited<()>, AskError> {
        let params = request.params();
        let answer = self
            .ask(asking::ELICITATION_URL, request.key, params)
            .await?;
        Elicited::from_url_answer(&answer)
    }

    /// Ends the call because it cannot go on until the user completes `request` out of band.
    /// Return the error with `Err(ctx.require_url_elicitation(ask))?`:
    /// - 2025-11-25: the call fails with `-32042` (URLElicitationRequiredError) listing the
    ///   elicitation; the client shows it and retries the call once the user is done;
    /// - 2026-07-28 (which has no such error): the call ends with an input-required result
    ///   asking for the URL elicitation, and the client's retry runs the handler again.
    ///
    /// ```no_run
    /// use mcp_runtime::asking::UrlElicitation;
    /// use mcp_runtime::prelude::*;
    ///
    /// /// Lists the user's invoices once their billing account is connected.
    /// #[tool(public, read_only)]
    /// async fn invoices(ctx: &ToolContext) -> Result<String, ToolError> {
    ///     let connected = false; // look up the user's stored grant here
    ///     if !connected {
    ///         let ask = UrlElicitation::new("Connect billing", "https://billing.example.com/connect");
    ///         return Err(ctx.require_url_elicitation(ask).into());
    ///     }
    ///     Ok("…".to_owned())
    /// }
    /// ```
    pub fn require_url_elicitation(&self, request: UrlElicitation) -> AskError {
        match &self.inner.asker {
            Some(asker) => asker.require_url(request.key.clone(), request.params()),
            None => AskError::Unavailable,
        }
    }

    /// (2025-11-25) the handle that sends `notifications/elicitation/complete` for `request`
    /// to this call's client, once its out-of-band interaction is done; `None` in 2026-07-28,
    /// which has no such notification, and outside a connection.
    pub fn url_elicitation_completion(
        &self,
        request: &UrlElicitation,
    ) -> Option<ElicitationCompletion> {
        let connection = self.inner.asker.as_ref()?.legacy_connection()?;
        Some(ElicitationCompletion::new(
            self.inner.notifier.clone(),
            connection,
            request.id(),
        ))
    }

    /// Whether the client can be asked to open a URL (it declared `elicitation.url`).
    pub fn can_elicit_url(&self) -> bool {
        self.supports(asking::ELICITATION_URL)
    }

    /// Asks the client's model for a completion (`sampling/createMessage`); see
    /// [`ToolContext::elicit`] for how the eras differ.
    ///
    /// ```no_run
    /// # async fn f(ctx: &mcp_runtime::ToolContext) -> Result<(), mcp_runtime::asking::AskError> {
    /// use mcp_runtime::asking::Sampling;
    /// let reply = ctx.sample(Sampling::prompt("Summarise: …", 200)).await?;
    /// println!("{}", reply.text());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As for [`ToolContext::elicit`], with the `sampling` capability.
    pub async fn sample(&self, request: Sampling) -> Result<SamplingResult, AskError> {
        let params = request.params();
        let answer = self.ask(asking::SAMPLING, request.key, params).await?;
        SamplingResult::from_answer(answer)
    }

    /// The client's roots (`roots/list`); in 2026-07-28 the answer's key is `roots-1`,
    /// `roots-2`, … in call order (see [`ToolContext::roots_keyed`]).
    ///
    /// # Errors
    /// As for [`ToolContext::elicit`], with the `roots` capability.
    pub async fn roots(&self) -> Result<Vec<Root>, AskError> {
        self.roots_request(None).await
    }

    /// [`ToolContext::roots`] with the answer's key in `inputResponses` named.
    ///
    /// # Errors
    /// As for [`ToolContext::roots`].
    pub async fn roots_keyed(&self, key: impl Into<String>) -> Result<Vec<Root>, AskError> {
        self.roots_request(Some(key.into())).await
    }

    async fn roots_request(&self, key: Option<String>) -> Result<Vec<Root>, AskError> {
        let answer = self.ask(asking::ROOTS, key, json!({})).await?;
        asking::roots_from_answer(answer)
    }

    async fn ask(
        &self,
        kind: asking::Kind,
        key: Option<String>,
        params: Value,
    ) -> Result<Value, AskError> {
        match &self.inner.asker {
            Some(asker) => asker.ask(kind, key, params).await,
            None => Err(AskError::Unavailable),
        }
    }

    /// Whether the client can be asked for form input (it declared `elicitation`).
    pub fn can_elicit(&self) -> bool {
        self.supports(asking::ELICITATION)
    }

    /// Whether the client can be asked to sample (it declared `sampling`).
    pub fn can_sample(&self) -> bool {
        self.supports(asking::SAMPLING)
    }

    /// Whether the client can be asked for its roots (it declared `roots`).
    pub fn can_list_roots(&self) -> bool {
        self.supports(asking::ROOTS)
    }

    fn supports(&self, kind: asking::Kind) -> bool {
        self.inner.asker.as_ref().is_some_and(|a| a.supports(kind))
    }

    /// Whether the user approved this call in person before the handler ran: the policy
    /// requires approval of this tool (`approval = "required"`) and the runtime asked. A
    /// handler that would confirm with the user itself can skip that question when this is
    /// `true`, so the user is not asked the same thing twice.
    pub fn approved(&self) -> bool {
        self.inner.approved
    }

    /// (2026-07-28) whether this call is a retry carrying a verified `requestState`.
    pub fn resumed(&self) -> bool {
        matches!(&self.inner.asker, Some(Asker::Modern { rounds, .. }) if rounds.resumed())
    }
}
