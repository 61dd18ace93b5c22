using MudBlazor;

namespace Portal.Web.Components.Layout;

/// <summary>
/// One visual language: Pass green, Warn amber, Fail red, Error grey, Running blue. System fonts
/// (the portal must not depend on a font CDN); CJK falls back to Noto Sans CJK.
/// </summary>
public static class PortalTheme
{
    private static readonly string[] FontFamily =
        ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1565c0",
            Success = "#2e7d32",
            Warning = "#b26a00",
            Error = "#c62828",
            Info = "#1565c0",
            AppbarBackground = "#0d47a1",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#90caf9",
            PrimaryContrastText = "rgba(0,0,0,0.87)",
            Success = "#66bb6a",
            Warning = "#ffb74d",
            Error = "#ef5350",
            Info = "#64b5f6",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = FontFamily },
            // Capitals make Chinese-and-English labels ("REDIS连接问题") harder to read.
            Button = new ButtonTypography { TextTransform = "none" },
        },
    };
}
