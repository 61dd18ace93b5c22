using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Probes.Contract;

/// <summary>
/// Checks raw parameter values against a probe's schema before anything runs. Bad input gets a
/// message per parameter and changes nothing. Control characters (CR, LF, NUL…) are refused in
/// every value, whatever the schema says.
/// </summary>
public static class ParameterValidator
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    public static ParameterValidation Validate(ProbeDescriptor probe, IReadOnlyDictionary<string, string?>? raw)
    {
        raw ??= new Dictionary<string, string?>();
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var schema = probe.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);

        foreach (var name in raw.Keys.Where(k => !schema.ContainsKey(k)))
        {
            errors[Shorten(name)] = $"'{probe.Kind}' has no parameter '{Shorten(name)}'.";
        }

        foreach (var parameter in probe.Parameters)
        {
            var value = raw.GetValueOrDefault(parameter.Name);
            if (string.IsNullOrEmpty(value))
            {
                if (parameter.Default is not null)
                {
                    values[parameter.Name] = parameter.Default;
                }
                else if (parameter.Required)
                {
                    errors[parameter.Name] = $"{parameter.Name} is required.";
                }

                continue;
            }

            if (Check(parameter, value) is { } error)
            {
                errors[parameter.Name] = error;
            }
            else
            {
                values[parameter.Name] = parameter.Type == ParameterType.Boolean ? value.ToLowerInvariant() : value;
            }
        }

        return new ParameterValidation(values, errors);
    }

    private static string? Check(ProbeParameter p, string value)
    {
        if (value.Length > p.MaxLength)
        {
            return $"{p.Name} is {value.Length} characters long; at most {p.MaxLength} are allowed.";
        }

        if (value.Any(char.IsControl))
        {
            return $"{p.Name} contains a control character (line break, tab or similar).";
        }

        switch (p.Type)
        {
            case ParameterType.Integer:
                // Canonical digits only: "+80", " 80" and "0x50" are refused like "80 " is.
                if (value.StartsWith('+') || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    return $"{p.Name} must be a whole number.";
                }

                if (number < p.Min || number > p.Max)
                {
                    return $"{p.Name} must be between {p.Min?.ToString(CultureInfo.InvariantCulture) ?? "-∞"} and {p.Max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}.";
                }

                return null;
            case ParameterType.Boolean:
                return value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase)
                    ? null
                    : $"{p.Name} must be true or false.";
            case ParameterType.Choice:
                return p.Choices?.Contains(value, StringComparer.Ordinal) == true
                    ? null
                    : $"{p.Name} must be one of: {string.Join(", ", p.Choices ?? [])}.";
            default:
                return p.Pattern is null || Matches(p.Pattern, value)
                    ? null
                    : $"{p.Name} has characters or a form that is not allowed (expected {p.Pattern}).";
        }
    }

    private static bool Matches(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static string Shorten(string name) => ProbeText.Clip(name, 40);
}

public sealed record ParameterValidation(IReadOnlyDictionary<string, string> Values, IReadOnlyDictionary<string, string> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
