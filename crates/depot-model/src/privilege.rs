//! Privileges (vSphere ids where vSphere has one) and the built-in roles granting them.

use std::fmt;
use std::str::FromStr;

/// One thing a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Privilege {
    /// Read anything: tasks, catalogs, settings, libraries.
    SystemRead,
    /// Add items to a content library.
    ContentLibraryAddItem,
    /// Synchronize a subscribed library item.
    ContentLibrarySyncItem,
    /// Create, update and delete libraries.
    ContentLibraryManage,
    /// Delete items of a content library.
    ContentLibraryDeleteItem,
    /// Read ESX lifecycle settings, such as offline depots.
    LifecycleSettingsRead,
    /// Change ESX lifecycle settings, such as importing offline depots.
    LifecycleSettingsWrite,
    /// Start a depot metadata sync.
    DepotSync,
    /// Upload or patch product version catalogs.
    CatalogUpdate,
    /// Change depot connection settings.
    DepotSettingsWrite,
    /// Cancel or retry any task.
    TaskManage,
    /// Manage users and roles.
    UserManage,
    /// Upload content into library items through update sessions.
    ContentLibraryUpdateSession,
    /// Download content of library items through download sessions.
    ContentLibraryDownloadSession,
    /// Create subscribed libraries and probe subscriptions.
    ContentLibraryCreateSubscribed,
    /// Change a subscribed library's settings.
    ContentLibraryUpdateSubscribed,
    /// Delete subscribed libraries.
    ContentLibraryDeleteSubscribed,
    /// Synchronize a subscribed library.
    ContentLibrarySyncLibrary,
    /// Evict the cached content of a subscribed library.
    ContentLibraryEvictSubscribed,
    /// Evict the cached content of a subscribed library item.
    ContentLibraryEvictItem,
}

impl Privilege {
    /// Every privilege, in a stable order.
    pub const ALL: [Privilege; 20] = [
        Privilege::SystemRead,
        Privilege::ContentLibraryAddItem,
        Privilege::ContentLibrarySyncItem,
        Privilege::ContentLibraryManage,
        Privilege::ContentLibraryDeleteItem,
        Privilege::LifecycleSettingsRead,
        Privilege::LifecycleSettingsWrite,
        Privilege::DepotSync,
        Privilege::CatalogUpdate,
        Privilege::DepotSettingsWrite,
        Privilege::TaskManage,
        Privilege::UserManage,
        Privilege::ContentLibraryUpdateSession,
        Privilege::ContentLibraryDownloadSession,
        Privilege::ContentLibraryCreateSubscribed,
        Privilege::ContentLibraryUpdateSubscribed,
        Privilege::ContentLibraryDeleteSubscribed,
        Privilege::ContentLibrarySyncLibrary,
        Privilege::ContentLibraryEvictSubscribed,
        Privilege::ContentLibraryEvictItem,
    ];

    /// The privilege id: vSphere's where it exists, a `Depot.` id otherwise.
    pub fn id(self) -> &'static str {
        match self {
            Privilege::SystemRead => "System.Read",
            Privilege::ContentLibraryAddItem => "ContentLibrary.AddLibraryItem",
            Privilege::ContentLibrarySyncItem => "ContentLibrary.SyncLibraryItem",
            Privilege::ContentLibraryManage => "ContentLibrary.CreateLocalLibrary",
            Privilege::ContentLibraryDeleteItem => "ContentLibrary.DeleteLibraryItem",
            Privilege::LifecycleSettingsRead => "VcIntegrity.lifecycleSettings.Read",
            Privilege::LifecycleSettingsWrite => "VcIntegrity.lifecycleSettings.Write",
            Privilege::DepotSync => "Depot.Metadata.Sync",
            Privilege::CatalogUpdate => "Depot.Catalog.Update",
            Privilege::DepotSettingsWrite => "Depot.Settings.Write",
            Privilege::TaskManage => "Depot.Task.Manage",
            Privilege::UserManage => "Authorization.ModifyPermissions",
            Privilege::ContentLibraryUpdateSession => "ContentLibrary.UpdateSession",
            Privilege::ContentLibraryDownloadSession => "ContentLibrary.DownloadSession",
            Privilege::ContentLibraryCreateSubscribed => "ContentLibrary.CreateSubscribedLibrary",
            Privilege::ContentLibraryUpdateSubscribed => "ContentLibrary.UpdateSubscribedLibrary",
            Privilege::ContentLibraryDeleteSubscribed => "ContentLibrary.DeleteSubscribedLibrary",
            Privilege::ContentLibrarySyncLibrary => "ContentLibrary.SyncLibrary",
            Privilege::ContentLibraryEvictSubscribed => "ContentLibrary.EvictSubscribedLibrary",
            Privilege::ContentLibraryEvictItem => "ContentLibrary.EvictLibraryItem",
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A built-in role: a fixed set of privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Every privilege.
    Admin,
    /// Everything but user management and depot connection settings.
    Operator,
    /// Reading only.
    ReadOnly,
}

impl Role {
    /// All built-in roles.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Operator, Role::ReadOnly];

    /// The role's stable name, as stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Operator => "Operator",
            Role::ReadOnly => "ReadOnly",
        }
    }

    /// Whether this role grants `privilege`.
    pub fn grants(self, privilege: Privilege) -> bool {
        match self {
            Role::Admin => true,
            Role::Operator => !matches!(
                privilege,
                Privilege::UserManage | Privilege::DepotSettingsWrite
            ),
            Role::ReadOnly => matches!(
                privilege,
                Privilege::SystemRead | Privilege::LifecycleSettingsRead
            ),
        }
    }

    /// The privileges this role grants.
    pub fn privileges(self) -> Vec<Privilege> {
        Privilege::ALL
            .into_iter()
            .filter(|p| self.grants(*p))
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A role name that is not one of the built-in roles.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: expected one of Admin, Operator, ReadOnly")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_cannot_write() {
        assert!(Role::ReadOnly.grants(Privilege::SystemRead));
        assert!(!Role::ReadOnly.grants(Privilege::LifecycleSettingsWrite));
        assert!(!Role::Operator.grants(Privilege::UserManage));
        assert!(Role::Operator.grants(Privilege::ContentLibrarySyncItem));
        assert!(Role::Operator.grants(Privilege::ContentLibrarySyncLibrary));
        assert!(!Role::ReadOnly.grants(Privilege::ContentLibraryCreateSubscribed));
        assert_eq!(Role::Admin.privileges().len(), Privilege::ALL.len());
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!("readonly".parse::<Role>().unwrap(), Role::ReadOnly);
        assert!("root".parse::<Role>().is_err());
    }
}
