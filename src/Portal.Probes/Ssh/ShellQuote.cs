using System.Text;

namespace Portal.Probes.Ssh;

/// <summary>
/// Quoting for the remote POSIX shell that sshd hands every command to. Each argument becomes one
/// single-quoted word: inside single quotes nothing is special, and a quote itself is written as
/// <c>'\''</c> (close, escaped quote, reopen). So no argument can end the word, start a second
/// command, expand a variable or glob. NUL cannot travel in a command line at all and is refused.
/// </summary>
public static class ShellQuote
{
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("An argument for the remote shell cannot contain NUL.", nameof(argument));
        }

        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Every word quoted, separated by single spaces.</summary>
    public static string Join(IEnumerable<string> words)
    {
        var text = new StringBuilder();
        foreach (var word in words)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(Quote(word));
        }

        return text.ToString();
    }
}
