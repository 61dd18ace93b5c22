namespace Portal.Web.Localization;

/// <summary>Marker for the UI strings in SharedResource.resx (en) and SharedResource.zh-CN.resx.</summary>
#pragma warning disable CA1052 // a marker type for IStringLocalizer<T>, never instantiated
public sealed class SharedResource;
#pragma warning restore CA1052
