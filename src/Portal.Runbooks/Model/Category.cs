namespace Portal.Runbooks.Model;

/// <summary>A group of runbooks in the catalog, e.g. "常见问题诊断" / "Common problems".</summary>
public sealed record Category(string Key, int Position, LocalizedText Title);
