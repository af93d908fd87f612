//! The typed names of the requests and notifications the server handles, parsed once per
//! message so routing matches on variants rather than strings.

use std::fmt;

/// A request method the server knows, by its JSON-RPC `method` name.
///
/// [`Method::parse`] reads a name; a name it does not know is `None` and is answered with
/// `-32601 Method not found` quoting the name as sent. Knowing a method does not mean it is
/// served in every era or by every server: `ping`, `initialize` and `logging/setLevel` are
/// legacy only, `server/discover` is modern only, and the resource, prompt and completion
/// methods exist only when something of that kind is registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `initialize`: the legacy handshake.
    Initialize,
    /// `ping`: a legacy liveness check.
    Ping,
    /// `server/discover`: describes a modern server.
    ServerDiscover,
    /// `tools/list`.
    ToolsList,
    /// `tools/call`.
    ToolsCall,
    /// `resources/list`.
    ResourcesList,
    /// `resources/templates/list`.
    ResourcesTemplatesList,
    /// `resources/read`.
    ResourcesRead,
    /// `resources/subscribe` (legacy).
    ResourcesSubscribe,
    /// `resources/unsubscribe` (legacy).
    ResourcesUnsubscribe,
    /// `prompts/list`.
    PromptsList,
    /// `prompts/get`.
    PromptsGet,
    /// `completion/complete`.
    CompletionComplete,
    /// `logging/setLevel`: the session's log level (legacy).
    LoggingSetLevel,
    /// `subscriptions/listen`: a long-lived notification stream (modern).
    SubscriptionsListen,
}

impl Method {
    /// Every method, for exhaustive checks.
    pub const ALL: [Self; 15] = [
        Self::Initialize,
        Self::Ping,
        Self::ServerDiscover,
        Self::ToolsList,
        Self::ToolsCall,
        Self::ResourcesList,
        Self::ResourcesTemplatesList,
        Self::ResourcesRead,
        Self::ResourcesSubscribe,
        Self::ResourcesUnsubscribe,
        Self::PromptsList,
        Self::PromptsGet,
        Self::CompletionComplete,
        Self::LoggingSetLevel,
        Self::SubscriptionsListen,
    ];

    /// The method named `method` (exact, case-sensitive); `None` for any other name.
    pub fn parse(method: &str) -> Option<Self> {
        Some(match method {
            "initialize" => Self::Initialize,
            "ping" => Self::Ping,
            "server/discover" => Self::ServerDiscover,
            "tools/list" => Self::ToolsList,
            "tools/call" => Self::ToolsCall,
            "resources/list" => Self::ResourcesList,
            "resources/templates/list" => Self::ResourcesTemplatesList,
            "resources/read" => Self::ResourcesRead,
            "resources/subscribe" => Self::ResourcesSubscribe,
            "resources/unsubscribe" => Self::ResourcesUnsubscribe,
            "prompts/list" => Self::PromptsList,
            "prompts/get" => Self::PromptsGet,
            "completion/complete" => Self::CompletionComplete,
            "logging/setLevel" => Self::LoggingSetLevel,
            "subscriptions/listen" => Self::SubscriptionsListen,
            _ => return None,
        })
    }

    /// The JSON-RPC method name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Initialize => "initialize",
            Self::Ping => "ping",
            Self::ServerDiscover => "server/discover",
            Self::ToolsList => "tools/list",
            Self::ToolsCall => "tools/call",
            Self::ResourcesList => "resources/list",
            Self::ResourcesTemplatesList => "resources/templates/list",
            Self::ResourcesRead => "resources/read",
            Self::ResourcesSubscribe => "resources/subscribe",
            Self::ResourcesUnsubscribe => "resources/unsubscribe",
            Self::PromptsList => "prompts/list",
            Self::PromptsGet => "prompts/get",
            Self::CompletionComplete => "completion/complete",
            Self::LoggingSetLevel => "logging/setLevel",
            Self::SubscriptionsListen => "subscriptions/listen",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client notification the server acts on; any other notification is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationMethod {
    /// `notifications/initialized`: the legacy handshake is complete.
    Initialized,
    /// `notifications/cancelled`: stop the request named by `params.requestId`.
    Cancelled,
}

impl NotificationMethod {
    /// Every notification the server acts on, for exhaustive checks.
    pub const ALL: [Self; 2] = [Self::Initialized, Self::Cancelled];

    /// The notification named `method` (exact, case-sensitive); `None` for any other name.
    pub fn parse(method: &str) -> Option<Self> {
        match method {
            "notifications/initialized" => Some(Self::Initialized),
            "notifications/cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }

    /// The JSON-RPC method name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Initialized => "notifications/initialized",
            Self::Cancelled => "notifications/cancelled",
        }
    }
}

impl fmt::Display for NotificationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_parses_back_from_its_name() {
        for method in Method::ALL {
            assert_eq!(Method::parse(method.as_str()), Some(method));
            assert_eq!(method.to_string(), method.as_str());
        }
        for note in NotificationMethod::ALL {
            assert_eq!(NotificationMethod::parse(note.as_str()), Some(note));
        }
    }

    #[test]
    fn unknown_and_differently_cased_names_do_not_parse() {
        for name in [
            "",
            "Initialize",
            "tools/call ",
            "tools",
            "resources/templates",
            "foo",
        ] {
            assert_eq!(Method::parse(name), None, "{name:?}");
        }
        assert_eq!(NotificationMethod::parse("notifications/progress"), None);
        assert_eq!(NotificationMethod::parse("initialized"), None);
    }
}
