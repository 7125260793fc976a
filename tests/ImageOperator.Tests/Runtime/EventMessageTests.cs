using FluentAssertions;
using ImageOperator.Runtime.Events;
using Xunit;

namespace ImageOperator.Tests.Runtime;

public sealed class EventMessageTests
{
    [Theory]
    [InlineData(
        "Import failed: https://s3.example.com/b/o.qcow2?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240101&X-Amz-Signature=abcdef was denied",
        "Import failed: https://s3.example.com/b/o.qcow2?REDACTED was denied")]
    [InlineData("see http://127.0.0.1:9000/bucket/key?sig=123", "see http://127.0.0.1:9000/bucket/key?REDACTED")]
    [InlineData("stray X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA/x in text", "stray X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED in text")]
    [InlineData("no secrets here", "no secrets here")]
    [InlineData("https://host/n/ns/b/bucket/o/image.qcow2 plain", "https://host/n/ns/b/bucket/o/image.qcow2 plain")]
    public void Secrets_are_redacted(string input, string expected) => EventMessage.Sanitize(input).Should().Be(expected);

    [Fact]
    public void Long_messages_are_truncated()
    {
        var message = EventMessage.Sanitize(new string('x', 5000));
        message.Length.Should().Be(EventMessage.MaxLength);
        message.Should().EndWith("…");
    }
}
