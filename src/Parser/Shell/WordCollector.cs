using System.Text;
using Sbuild.Parser.Text;

namespace Sbuild.Parser.Shell;

/// <summary>Collects words: unquoted whitespace separates, quoted text and escaped characters never do.</summary>
internal sealed class WordCollector
{
    private readonly List<string> _words = [];
    private readonly StringBuilder _buf = new();
    private bool _inWord;

    public void AddChar(int ch)
    {
        if (GoText.IsSpace(ch))
        {
            if (_inWord && _buf.Length != 0)
            {
                _words.Add(_buf.ToString());
                _buf.Clear();
                _inWord = false;
            }
        }
        else
        {
            AddRawChar(ch);
        }
    }

    public void AddRawChar(int ch)
    {
        GoText.AppendRune(_buf, ch);
        _inWord = true;
    }

    public void AddString(string s)
    {
        foreach (int r in GoText.ToRunes(s)) AddChar(r);
    }

    public void AddRawString(string s)
    {
        _buf.Append(s);
        _inWord = true;
    }

    public List<string> Finish()
    {
        if (_buf.Length > 0)
        {
            _words.Add(_buf.ToString());
            _buf.Clear();
            _inWord = false;
        }
        return _words;
    }
}
