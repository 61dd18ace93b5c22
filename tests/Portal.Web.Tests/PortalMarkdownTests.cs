using Portal.Web.Markdown;

namespace Portal.Web.Tests;

public sealed class PortalMarkdownTests
{
    [Fact]
    public void ToHtml_RawHtml_IsShownAsTextNotExecuted()
    {
        var html = PortalMarkdown.ToHtml("Hello <script>alert(1)</script> <img src=x onerror=alert(2)>");

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JaVaScRiPt:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("[click](vbscript:msgbox)")]
    [InlineData("![x](javascript:alert(1))")]
    public void ToHtml_DangerousLink_IsNeutralised(string markdown)
    {
        var html = PortalMarkdown.ToHtml(markdown);

        Assert.DoesNotContain("script:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("data:", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("href=\"#\"", html.Replace("src=\"#\"", "href=\"#\"", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[guide](https://example.com/guide)", "https://example.com/guide")]
    [InlineData("[tls](/runbooks/tls)", "/runbooks/tls")]
    [InlineData("[step](#step-port)", "#step-port")]
    [InlineData("[mail](mailto:oncall@example.com)", "mailto:oncall@example.com")]
    public void ToHtml_SafeLink_IsKept(string markdown, string href) =>
        Assert.Contains($"href=\"{href}\"", PortalMarkdown.ToHtml(markdown), StringComparison.Ordinal);

    [Fact]
    public void ToHtml_Markdown_RendersEmphasisCodeAndTables()
    {
        var html = PortalMarkdown.ToHtml("**bold** `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |");

        Assert.Contains("<strong>bold</strong>", html, StringComparison.Ordinal);
        Assert.Contains("<code>code</code>", html, StringComparison.Ordinal);
        Assert.Contains("<table>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void ToHtml_Nothing_RendersNothing(string? markdown) => Assert.Equal("", PortalMarkdown.ToHtml(markdown));
}
