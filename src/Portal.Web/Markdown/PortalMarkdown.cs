using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Portal.Web.Markdown;

/// <summary>
/// Markdown for runbook text: CommonMark plus tables and autolinks. Raw HTML is rendered as
/// text, and links or images with a scheme other than http, https or mailto are neutralised,
/// so runbook text can never inject script into a page.
/// </summary>
public static class PortalMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseAutoLinks()
        .UseEmphasisExtras()
        .Build();

    public static string ToHtml(string? markdown)
    {
        if (string.IsNullOrWhiteSpace(markdown))
        {
            return string.Empty;
        }

        var document = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafeUrl(link.Url))
            {
                link.Url = "#";
            }
        }

        foreach (var autolink in document.Descendants<AutolinkInline>())
        {
            if (!autolink.IsEmail && !IsSafeUrl(autolink.Url))
            {
                autolink.Url = "#";
            }
        }

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        return writer.ToString();
    }

    /// <summary>Relative links and http(s)/mailto only; "javascript:", "data:" and friends are not.</summary>
    internal static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return true;
        }

        var trimmed = url.Trim();
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var absolute) || trimmed.StartsWith('/'))
        {
            // Relative: only safe if nothing before the first '/', '?' or '#' looks like a scheme.
            var end = trimmed.IndexOfAny(['/', '?', '#']);
            var head = end < 0 ? trimmed : trimmed[..end];
            return !head.Contains(':', StringComparison.Ordinal);
        }

        return absolute.Scheme is "http" or "https" or "mailto";
    }
}
