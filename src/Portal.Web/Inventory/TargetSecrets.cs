using Microsoft.AspNetCore.DataProtection;

namespace Portal.Web.Inventory;

/// <summary>Encrypts target credentials at rest with ASP.NET Data Protection (keys in PostgreSQL).</summary>
public sealed class TargetSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Portal.Inventory.TargetPassword.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}
