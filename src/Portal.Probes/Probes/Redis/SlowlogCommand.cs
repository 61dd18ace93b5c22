using System.Globalization;
using System.Text;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// A slow-log command line made fit to show: credentials masked (AUTH, HELLO … AUTH, MIGRATE …
/// AUTH/AUTH2, CONFIG SET of password-like settings, ACL SETUSER password rules, any argument
/// equal to a known secret), then each argument cut to 64 characters and at most 8 shown.
/// </summary>
internal static class SlowlogCommand
{
    public const int MaxArgs = 8;
    public const int MaxArgChars = 64;
    public const string Masked = "***";

    /// <summary>The arguments with every credential replaced by <see cref="Masked"/>.</summary>
    public static IReadOnlyList<string> Mask(IReadOnlyList<string> args, IEnumerable<string>? secrets = null)
    {
        var masked = args.ToArray();
        if (masked.Length == 0)
        {
            return masked;
        }

        var command = masked[0].ToUpperInvariant();
        var sub = masked.Length > 1 ? masked[1].ToUpperInvariant() : string.Empty;
        switch (command)
        {
            case "AUTH":
                MaskFrom(masked, 1);
                break;
            case "HELLO":
            case "MIGRATE":
                // HELLO 3 AUTH user pass …, MIGRATE … AUTH pass | AUTH2 user pass [KEYS …]: everything after it.
                for (var i = 1; i < masked.Length; i++)
                {
                    if (masked[i].Equals("AUTH", StringComparison.OrdinalIgnoreCase) || masked[i].Equals("AUTH2", StringComparison.OrdinalIgnoreCase))
                    {
                        MaskFrom(masked, i + 1);
                        break;
                    }
                }

                break;
            case "CONFIG" when sub == "SET":
                // CONFIG SET name value [name value …] (several pairs since Redis 7).
                for (var i = 2; i + 1 < masked.Length; i += 2)
                {
                    if (IsSecretSetting(masked[i]))
                    {
                        masked[i + 1] = Masked;
                    }
                }

                break;
            case "ACL" when sub == "SETUSER":
                // Rules >password, <password, #hash, !hash add or remove credentials.
                for (var i = 3; i < masked.Length; i++)
                {
                    if (masked[i].Length > 0 && masked[i][0] is '>' or '<' or '#' or '!')
                    {
                        masked[i] = masked[i][0] + Masked;
                    }
                }

                break;
        }

        foreach (var secret in secrets ?? [])
        {
            for (var i = 1; i < masked.Length; i++)
            {
                if (secret.Length > 0 && masked[i].Contains(secret, StringComparison.Ordinal))
                {
                    masked[i] = Masked;
                }
            }
        }

        return masked;
    }

    /// <summary>Masked, truncated and quoted where needed: <c>SET user:1 "a b" … (3 more)</c>.</summary>
    public static string Format(IReadOnlyList<string> args, IEnumerable<string>? secrets = null)
    {
        var masked = Mask(args, secrets);
        var shown = masked.Take(MaxArgs).Select(Show);
        var text = string.Join(' ', shown);
        return masked.Count > MaxArgs
            ? $"{text} … ({(masked.Count - MaxArgs).ToString(CultureInfo.InvariantCulture)} more)"
            : text;
    }

    private static bool IsSecretSetting(string name)
    {
        var n = name.ToLowerInvariant();
        return n.Contains("pass", StringComparison.Ordinal) || n.Contains("auth", StringComparison.Ordinal) || n.Contains("secret", StringComparison.Ordinal);
    }

    private static void MaskFrom(string[] args, int start)
    {
        for (var i = start; i < args.Length; i++)
        {
            args[i] = Masked;
        }
    }

    private static string Show(string arg)
    {
        var cut = arg.Length > MaxArgChars ? arg[..MaxArgChars] : arg;
        var builder = new StringBuilder();
        var quote = cut.Length == 0;
        foreach (var c in cut)
        {
            if (char.IsControl(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                quote = true;
            }
            else if (c is '"' or '\\')
            {
                builder.Append('\\').Append(c);
                quote = true;
            }
            else
            {
                quote |= char.IsWhiteSpace(c);
                builder.Append(c);
            }
        }

        var text = quote ? $"\"{builder}\"" : builder.ToString();
        return arg.Length > MaxArgChars ? text + "…" : text;
    }
}
